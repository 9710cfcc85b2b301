namespace MLNet.CSP.Detection;

/// <summary>
/// The paper's Exact Fusion Model. YOLOv3 gives each object one anchor, at the scale whose anchors fit it best, so an
/// object seen at scale s is bounded by the anchors of scales s-1 and s+1: EFM gives scale s exactly those three levels.
/// Each level is projected to the scale's width without activation (the lower level by a strided 3x3 convolution, the
/// upper by a 1x1 convolution and nearest upsampling) and the projections are fused by Maxout (element-wise maximum, k
/// = 3 pieces; k = 2 at stride 32, which has no upper level), then mixed by a 3x3 convolution. The authors' EFM cfgs
/// were never published; the paper fixes the levels and Maxout, this class fixes the rest as said here.
/// </summary>
public sealed class EfmNeck : DetectionNeck
{
    private readonly ModuleList own;
    private readonly ModuleList lower;
    private readonly ModuleList upper;
    private readonly ModuleList fuse;

    /// <summary>Builds the neck for backbone levels at strides 4/8/16/32 with these channels.</summary>
    public EfmNeck(IReadOnlyList<int> inChannels, ActivationKind activation = ActivationKind.LeakyReLU) : base(nameof(EfmNeck), inChannels)
    {
        own = new ModuleList();
        lower = new ModuleList();
        upper = new ModuleList();
        fuse = new ModuleList();
        for (int s = 0; s < Widths.Length; s++)
        {
            own.append(new ConvNormAct(inChannels[s + 1], Widths[s], 1, activation: ActivationKind.None));
            lower.append(new ConvNormAct(inChannels[s], Widths[s], 3, stride: 2, activation: ActivationKind.None));
            if (s + 2 < inChannels.Count) upper.append(new ConvNormAct(inChannels[s + 2], Widths[s], 1, activation: ActivationKind.None));
            fuse.append(new ConvNormAct(Widths[s], Widths[s], 3, activation: activation));
        }
        RegisterComponents();
    }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> forward(IReadOnlyList<Tensor> levels)
    {
        CheckLevels(levels);
        var outputs = new List<Tensor>(Widths.Length);
        for (int s = 0; s < Widths.Length; s++)
        {
            var pieces = new List<Tensor>(3);
            try
            {
                var self = own[s].call(levels[s + 1]);
                pieces.Add(self);
                pieces.Add(lower[s].call(levels[s]));
                if (s < upper.Count)
                {
                    using var projected = upper[s].call(levels[s + 2]);
                    pieces.Add(UpsampleTo(projected, self));
                }
                using var fused = Maxout.OfPieces(pieces);
                outputs.Add(fuse[s].call(fused));
            }
            finally
            {
                foreach (var p in pieces) p.Dispose();
            }
        }
        return outputs;
    }

    internal override IReadOnlyList<string> ExportOnnx(OnnxGraph graph, IReadOnlyList<string> levels)
    {
        var outputs = new List<string>(Widths.Length);
        for (int s = 0; s < Widths.Length; s++)
        {
            var pieces = new List<string> { graph.Module($"own.{s}", own[s], levels[s + 1]), graph.Module($"lower.{s}", lower[s], levels[s]) };
            if (s < upper.Count) pieces.Add(graph.UpsampleNearest(graph.Module($"upper.{s}", upper[s], levels[s + 2]), 2));
            outputs.Add(graph.Module($"fuse.{s}", fuse[s], graph.Max([.. pieces])));
        }
        return outputs;
    }
}
