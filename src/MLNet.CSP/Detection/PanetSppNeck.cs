namespace MLNet.CSP.Detection;

/// <summary>
/// The authors' PANet-SPP neck (cfg/csdarknet53-panet-spp.cfg) with widths scaled to the backbone: on the top level
/// 1x1-3x3-1x1, SPP (stride-1 max pools 5/9/13 concatenated with their input), 1x1-3x3-1x1; a top-down path (1x1,
/// upsample, concat with a 1x1 lateral, five convolutions) to strides 16 and 8; a bottom-up path (strided 3x3, concat,
/// five convolutions) back to 16 and 32. The stride-4 level is not read.
/// </summary>
public sealed class PanetSppNeck : DetectionNeck
{
    private static readonly long[] PoolSizes = [5, 9, 13];
    private readonly TorchSharp.Modules.Sequential top_pre;
    private readonly TorchSharp.Modules.Sequential top_post;
    private readonly ModuleList reduce;
    private readonly ModuleList lateral;
    private readonly ModuleList top_down;
    private readonly ModuleList downsample;
    private readonly ModuleList bottom_up;

    /// <summary>Builds the neck for backbone levels at strides 4/8/16/32 with these channels.</summary>
    public PanetSppNeck(IReadOnlyList<int> inChannels, ActivationKind activation = ActivationKind.LeakyReLU) : base(nameof(PanetSppNeck), inChannels)
    {
        int w3 = Widths[0], w4 = Widths[1], w5 = Widths[2];
        top_pre = ConvStack.Create(inChannels[3], w5, 3, activation);
        top_post = ConvStack.Create(4 * w5, w5, 3, activation);
        reduce = new ModuleList(new ConvNormAct(w5, w4, 1, activation: activation), new ConvNormAct(w4, w3, 1, activation: activation));
        lateral = new ModuleList(new ConvNormAct(inChannels[2], w4, 1, activation: activation), new ConvNormAct(inChannels[1], w3, 1, activation: activation));
        top_down = new ModuleList(ConvStack.Create(2 * w4, w4, 5, activation), ConvStack.Create(2 * w3, w3, 5, activation));
        downsample = new ModuleList(new ConvNormAct(w3, w4, 3, stride: 2, activation: activation), new ConvNormAct(w4, w5, 3, stride: 2, activation: activation));
        bottom_up = new ModuleList(ConvStack.Create(2 * w4, w4, 5, activation), ConvStack.Create(2 * w5, w5, 5, activation));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> forward(IReadOnlyList<Tensor> levels)
    {
        CheckLevels(levels);
        using var scope = torch.NewDisposeScope();
        var p5 = top_pre.call(levels[3]);
        var pooled = PoolSizes.Select(k => nn.functional.max_pool2d(p5, k, 1, k / 2)).Reverse().Append(p5).ToArray();
        var n5 = top_post.call(torch.cat(pooled, 1));
        var n4 = TopDown(0, n5, levels[2]);
        var n3 = TopDown(1, n4, levels[1]);
        var o4 = BottomUp(0, n3, n4);
        var o5 = BottomUp(1, o4, n5);
        return [n3.MoveToOuterDisposeScope(), o4.MoveToOuterDisposeScope(), o5.MoveToOuterDisposeScope()];
    }

    internal override IReadOnlyList<string> ExportOnnx(OnnxGraph graph, IReadOnlyList<string> levels)
    {
        string p5 = graph.Sequential("top_pre", top_pre, levels[3]);
        var pooled = PoolSizes.Select(k => graph.MaxPool(p5, k, 1, k / 2)).Reverse().Append(p5).ToArray();
        string n5 = graph.Sequential("top_post", top_post, graph.ConcatChannels(pooled));
        string TopDownOnnx(int step, string upperMap, string level)
        {
            string side = graph.Module($"lateral.{step}", lateral[step], level);
            string up = graph.UpsampleNearest(graph.Module($"reduce.{step}", reduce[step], upperMap), 2);
            return graph.Sequential($"top_down.{step}", (TorchSharp.Modules.Sequential)top_down[step], graph.ConcatChannels(up, side));
        }
        string BottomUpOnnx(int step, string lowerMap, string same) =>
            graph.Sequential($"bottom_up.{step}", (TorchSharp.Modules.Sequential)bottom_up[step],
                graph.ConcatChannels(graph.Module($"downsample.{step}", downsample[step], lowerMap), same));
        string n4 = TopDownOnnx(0, n5, levels[2]);
        string n3 = TopDownOnnx(1, n4, levels[1]);
        string o4 = BottomUpOnnx(0, n3, n4);
        return [n3, o4, BottomUpOnnx(1, o4, n5)];
    }

    private Tensor TopDown(int step, Tensor upper, Tensor level)
    {
        var side = lateral[step].call(level);
        var up = UpsampleTo(reduce[step].call(upper), side);
        return top_down[step].call(torch.cat([up, side], 1));
    }

    private Tensor BottomUp(int step, Tensor lowerMap, Tensor same)
    {
        var down = downsample[step].call(lowerMap);
        return bottom_up[step].call(torch.cat([down, same], 1));
    }
}
