namespace MLNet.CSP.Detection;

/// <summary>
/// YOLOv3's feature pyramid, the ablation baseline: five convolutions on the top level, then twice a 1x1 reduction,
/// nearest upsampling, concatenation with the backbone level below and five convolutions. Top-down only.
/// </summary>
public sealed class FpnNeck : DetectionNeck
{
    private readonly TorchSharp.Modules.Sequential top;
    private readonly ModuleList reduce;
    private readonly ModuleList merge;

    /// <summary>Builds the neck for backbone levels at strides 4/8/16/32 with these channels.</summary>
    public FpnNeck(IReadOnlyList<int> inChannels, ActivationKind activation = ActivationKind.LeakyReLU) : base(nameof(FpnNeck), inChannels)
    {
        int w3 = Widths[0], w4 = Widths[1], w5 = Widths[2];
        top = ConvStack.Create(inChannels[3], w5, 5, activation);
        reduce = new ModuleList(new ConvNormAct(w5, w4, 1, activation: activation), new ConvNormAct(w4, w3, 1, activation: activation));
        merge = new ModuleList(ConvStack.Create(w4 + inChannels[2], w4, 5, activation), ConvStack.Create(w3 + inChannels[1], w3, 5, activation));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> forward(IReadOnlyList<Tensor> levels)
    {
        CheckLevels(levels);
        using var scope = torch.NewDisposeScope();
        var o5 = top.call(levels[3]);
        var o4 = Merge(0, o5, levels[2]);
        var o3 = Merge(1, o4, levels[1]);
        return [o3.MoveToOuterDisposeScope(), o4.MoveToOuterDisposeScope(), o5.MoveToOuterDisposeScope()];
    }

    internal override IReadOnlyList<string> ExportOnnx(OnnxGraph graph, IReadOnlyList<string> levels)
    {
        string MergeOnnx(int step, string upperMap, string level) =>
            graph.Sequential($"merge.{step}", (TorchSharp.Modules.Sequential)merge[step],
                graph.ConcatChannels(graph.UpsampleNearest(graph.Module($"reduce.{step}", reduce[step], upperMap), 2), level));
        string o5 = graph.Sequential("top", top, levels[3]);
        string o4 = MergeOnnx(0, o5, levels[2]);
        return [MergeOnnx(1, o4, levels[1]), o4, o5];
    }

    private Tensor Merge(int step, Tensor upper, Tensor level)
    {
        var up = UpsampleTo(reduce[step].call(upper), level);
        return merge[step].call(torch.cat([up, level], 1));
    }
}
