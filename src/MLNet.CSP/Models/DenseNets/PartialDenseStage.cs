namespace MLNet.CSP.Models.DenseNets;

/// <summary>
/// A CSPDenseNet stage. The input's first <see cref="SkipChannels"/> channels (x0') skip the stage; the other
/// <see cref="DenseChannels"/> (x0'') go through the dense block <c>dense</c>, whose layers see only that part.
/// Fusion: <see cref="CspFusion.Csp"/> = <c>partial_transition</c>, concat [x0', .], <c>transition</c>;
/// <see cref="CspFusion.FusionFirst"/> = concat [x0', dense output], <c>transition</c>;
/// <see cref="CspFusion.FusionLast"/> = <c>partial_transition</c>, concat [x0', .]. Transitions are DenseNet's
/// BN-ReLU-1x1 conv; a downsampling stage ends with DenseNet's 2x2 average pool.
/// </summary>
public sealed class PartialDenseStage : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly DenseBlock dense;
    private readonly DenseTransition? partial_transition;
    private readonly DenseTransition? transition;
    private readonly bool downsample;

    /// <summary>Creates the stage.</summary>
    /// <param name="inChannels">Channels of the stage input.</param>
    /// <param name="outChannels">Channels of the stage output.</param>
    /// <param name="numLayers">Dense layers in the block.</param>
    /// <param name="growthRate">Channels each dense layer adds.</param>
    /// <param name="bnSize">Bottleneck width multiplier of the dense layers.</param>
    /// <param name="fusion">How the two parts are fused.</param>
    /// <param name="gamma">Share of the input channels that goes through the dense block (0 &lt; gamma &lt; 1).</param>
    /// <param name="downsample">Whether the stage ends with a 2x2 average pool.</param>
    public PartialDenseStage(int inChannels, int outChannels, int numLayers, int growthRate, int bnSize, CspFusion fusion, double gamma, bool downsample)
        : base(nameof(PartialDenseStage))
    {
        if (!(gamma > 0 && gamma < 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "The split ratio gamma must lie strictly between 0 and 1.");
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 2);
        DenseChannels = Math.Clamp((int)(gamma * inChannels + 0.5), 1, inChannels - 1);
        SkipChannels = inChannels - DenseChannels;
        Fusion = fusion;
        OutChannels = outChannels;
        this.downsample = downsample;
        dense = new DenseBlock(numLayers, DenseChannels, growthRate, bnSize);
        BlockOutChannels = dense.OutChannels;
        switch (fusion)
        {
            case CspFusion.Csp:
            case CspFusion.FusionLast:
                PartialTransitionChannels = outChannels - SkipChannels;
                if (PartialTransitionChannels < 1)
                    throw new ArgumentException($"A stage of {inChannels} -> {outChannels} channels leaves no room for the dense part after {SkipChannels} skip channels; raise gamma.", nameof(gamma));
                partial_transition = new DenseTransition(BlockOutChannels, PartialTransitionChannels, downsample: false);
                if (fusion == CspFusion.Csp) transition = new DenseTransition(outChannels, outChannels, downsample);
                break;
            case CspFusion.FusionFirst:
                transition = new DenseTransition(SkipChannels + BlockOutChannels, outChannels, downsample);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fusion), fusion, "Unknown fusion strategy.");
        }
        RegisterComponents();
    }

    /// <summary>The fusion strategy.</summary>
    public CspFusion Fusion { get; }

    /// <summary>Input channels that go through the dense block (x0'', the last ones).</summary>
    public int DenseChannels { get; }

    /// <summary>Input channels that skip the dense block (x0', the first ones).</summary>
    public int SkipChannels { get; }

    /// <summary>Channels of the dense block output (dense part plus every layer's growth).</summary>
    public int BlockOutChannels { get; }

    /// <summary>Output channels of the partial transition (0 for fusion first, which has none).</summary>
    public int PartialTransitionChannels { get; }

    /// <summary>Channels of the stage output.</summary>
    public int OutChannels { get; }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string skip = graph.SliceChannels(input, 0, SkipChannels);
        string blockOut = graph.Module("dense", dense, graph.SliceChannels(input, SkipChannels, DenseChannels));
        if (Fusion == CspFusion.FusionFirst) return graph.Module("transition", transition!, graph.ConcatChannels(skip, blockOut));
        string fused = graph.ConcatChannels(skip, graph.Module("partial_transition", partial_transition!, blockOut));
        if (transition is not null) return graph.Module("transition", transition, fused);
        return downsample ? graph.AveragePool(fused, 2, 2) : fused;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var skip = x.narrow(1, 0, SkipChannels);
        using var part = x.narrow(1, SkipChannels, DenseChannels);
        using var blockOut = dense.call(part);
        if (Fusion == CspFusion.FusionFirst)
        {
            using var joined = torch.cat([skip, blockOut], 1);
            return transition!.call(joined);
        }
        using var partial = partial_transition!.call(blockOut);
        using var fused = torch.cat([skip, partial], 1);
        if (transition is not null) return transition.call(fused);
        return downsample ? nn.functional.avg_pool2d(fused, 2, 2) : fused.alias();
    }
}
