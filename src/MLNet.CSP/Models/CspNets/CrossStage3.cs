namespace MLNet.CSP.Models.CspNets;

/// <summary>
/// CSP stage with one output transition (timm <c>CrossStage3</c>): optional <c>conv_down</c>, <c>conv_exp</c>,
/// split; the first half runs the blocks, the second skips; concat (blocks first) and <c>conv_transition</c>.
/// </summary>
public sealed class CrossStage3 : nn.Module<Tensor, Tensor>, IFoldable, IOnnxExportable
{
    private readonly ConvNormAct? conv_down;
    private readonly ConvNormAct conv_exp;
    private readonly ModuleList blocks;
    private readonly ConvNormAct conv_transition;
    private readonly int splitChannels;

    /// <summary>Builds the stage from its configuration.</summary>
    public CrossStage3(int inChannels, CspStageConfig cfg, ActivationKind activation) : base(nameof(CrossStage3))
    {
        var entry = CrossStageEntry.Create(inChannels, cfg, activation);
        (conv_down, conv_exp, splitChannels) = (entry.Down, entry.Expand, entry.HalfChannels);
        int blockOut = entry.BlockChannels;
        if (cfg.Depth > 0 && blockOut != splitChannels)
            throw new ArgumentException($"A CS3 stage needs block output channels ({blockOut}) equal to half the expanded channels ({splitChannels}).");
        blocks = BlockFactory.Create(cfg.Block, cfg.Depth, splitChannels, blockOut, cfg.BottleRatio, cfg.Groups, activation);
        conv_transition = new ConvNormAct(conv_exp.OutChannels, cfg.OutChannels, 1, activation: activation);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (split is not null)
        {
            using var d = conv_down is null ? x.alias() : conv_down.call(x);
            using var a = split.FirstHalf(d);
            using var s = split.SecondHalf(d);
            using var o = BlockFactory.Run(blocks, a);
            return split.Fuse(o, s);
        }
        using var down = conv_down is null ? x.alias() : conv_down.call(x);
        using var expanded = conv_exp.call(down);
        var parts = expanded.split(splitChannels, 1);
        using var blockIn = parts[0];
        using var skip = parts[1];
        using var blockOut = BlockFactory.Run(blocks, blockIn);
        using var merged = torch.cat([blockOut, skip], 1);
        return conv_transition.call(merged);
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string down = conv_down is null ? input : graph.Module("conv_down", conv_down, input);
        string expanded = graph.Module("conv_exp", conv_exp, down);
        string blockIn = graph.SliceChannels(expanded, 0, splitChannels);
        string skip = graph.SliceChannels(expanded, splitChannels, conv_exp.OutChannels - splitChannels);
        string blockOut = BlockFactory.ExportOnnx(blocks, graph, blockIn);
        return graph.Module("conv_transition", conv_transition, graph.ConcatChannels(blockOut, skip));
    }

    private SplitFold? split;

    void IFoldable.Fold() => SplitFold.Replace(ref split, conv_exp, conv_transition, splitChannels);

    /// <inheritdoc cref="IFoldable.Unfold" />
    public void Unfold() => SplitFold.Replace(ref split, null, null, 0);
}
