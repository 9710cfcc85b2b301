namespace MLNet.CSP.Models.Layers;

/// <summary>
/// Convolution (no bias) followed by BatchNorm and an optional activation; state-dict keys
/// <c>conv.weight</c> and <c>bn.*</c> as in timm's <c>ConvNormAct</c>.
/// </summary>
public sealed class ConvNormAct : nn.Module<Tensor, Tensor>, IFoldable, IOnnxExportable
{
    private readonly Conv2dLayer conv;
    private readonly BatchNorm2d bn;
    private FoldedConv? folded;

    /// <summary>Creates the layer; padding is timm's symmetric "same" padding for odd kernels.</summary>
    public ConvNormAct(int inChannels, int outChannels, int kernelSize, int stride = 1, int groups = 1,
        ActivationKind activation = ActivationKind.ReLU) : base(nameof(ConvNormAct))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Channels ({inChannels} -> {outChannels}) must be divisible by groups ({groups}).", nameof(groups));
        InChannels = inChannels;
        OutChannels = outChannels;
        Activation = activation;
        int padding = ((stride - 1) + (kernelSize - 1)) / 2;
        conv = new Conv2dLayer(inChannels, outChannels, kernelSize, stride, padding, groups);
        bn = nn.BatchNorm2d(outChannels);
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Activation after the norm.</summary>
    public ActivationKind Activation { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (folded is not null) return Activations.Apply(folded.Forward(x), Activation, inPlace: true);
        using var y = conv.call(x);
        var z = bn.call(y);
        return Activations.Apply(z, Activation, inPlace: true);
    }

    /// <summary>Sets the norm's weight to zero (the last norm of a residual block, timm's <c>zero_init_last</c>).</summary>
    internal void ZeroNormWeight()
    {
        using var noGrad = torch.no_grad();
        bn.weight!.zero_();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input) => graph.Activation(graph.ConvBatchNorm(input, conv, bn), Activation);

    void IFoldable.Fold()
    {
        Unfold();
        folded = CreateFolded();
    }

    /// <summary>A new folded copy of this layer's convolution and norm (activation not included).</summary>
    internal FoldedConv CreateFolded() => new(conv, bn);

    /// <inheritdoc cref="IFoldable.Unfold" />
    public void Unfold()
    {
        folded?.Dispose();
        folded = null;
    }
}
