namespace MLNet.CSP.Models.CspNets;

/// <summary>
/// Cross stage partial stage (timm <c>CrossStage</c>): optional strided 3x3 <c>conv_down</c>, 1x1 <c>conv_exp</c>,
/// split by channels into a skip half and a block half; the block half runs the blocks and the partial
/// transition <c>conv_transition_b</c>; the halves are concatenated (skip first) and fused by <c>conv_transition</c>.
/// </summary>
public sealed class CrossStage : nn.Module<Tensor, Tensor>, IFoldable, IOnnxExportable
{
    private readonly ConvNormAct? conv_down;
    private readonly ConvNormAct conv_exp;
    private readonly ModuleList blocks;
    private readonly ConvNormAct conv_transition_b;
    private readonly ConvNormAct conv_transition;
    private readonly int splitChannels;

    /// <summary>Builds the stage from its configuration.</summary>
    public CrossStage(int inChannels, CspStageConfig cfg, ActivationKind activation) : base(nameof(CrossStage))
    {
        var entry = CrossStageEntry.Create(inChannels, cfg, activation);
        (conv_down, conv_exp, splitChannels) = (entry.Down, entry.Expand, entry.HalfChannels);
        int blockOut = entry.BlockChannels;
        blocks = BlockFactory.Create(cfg.Block, cfg.Depth, splitChannels, blockOut, cfg.BottleRatio, cfg.Groups, activation);
        conv_transition_b = new ConvNormAct(cfg.Depth > 0 ? blockOut : splitChannels, splitChannels, 1, activation: activation);
        conv_transition = new ConvNormAct(conv_exp.OutChannels, cfg.OutChannels, 1, activation: activation);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (split is not null)
        {
            using var d = conv_down is null ? x.alias() : conv_down.call(x);
            using var s = split.FirstHalf(d);
            using var b = split.SecondHalf(d);
            using var o = BlockFactory.Run(blocks, b);
            using var p = conv_transition_b.call(o);
            return split.Fuse(s, p);
        }
        using var down = conv_down is null ? x.alias() : conv_down.call(x);
        using var expanded = conv_exp.call(down);
        var parts = expanded.split(splitChannels, 1);
        using var skip = parts[0];
        using var blockIn = parts[1];
        using var blockOut = BlockFactory.Run(blocks, blockIn);
        using var partial = conv_transition_b.call(blockOut);
        using var merged = torch.cat([skip, partial], 1);
        return conv_transition.call(merged);
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string down = conv_down is null ? input : graph.Module("conv_down", conv_down, input);
        string expanded = graph.Module("conv_exp", conv_exp, down);
        string skip = graph.SliceChannels(expanded, 0, splitChannels);
        string blockIn = graph.SliceChannels(expanded, splitChannels, conv_exp.OutChannels - splitChannels);
        string partial = graph.Module("conv_transition_b", conv_transition_b, BlockFactory.ExportOnnx(blocks, graph, blockIn));
        return graph.Module("conv_transition", conv_transition, graph.ConcatChannels(skip, partial));
    }

    private SplitFold? split;

    void IFoldable.Fold() => SplitFold.Replace(ref split, conv_exp, conv_transition, splitChannels);

    /// <inheritdoc cref="IFoldable.Unfold" />
    public void Unfold() => SplitFold.Replace(ref split, null, null, 0);
}
