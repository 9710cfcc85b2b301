namespace MLNet.CSP.Models.CspNets;

/// <summary>DarkNet residual block (timm <c>DarkBlock</c>): 1x1, 3x3, residual add, no activation after the add.</summary>
public sealed class DarkBlock : nn.Module<Tensor, Tensor>, IZeroInitLast, IOnnxExportable
{
    private readonly ConvNormAct conv1;
    private readonly ConvNormAct conv2;

    /// <summary>Creates the block; the mid width is <c>round(outChannels * bottleRatio)</c>.</summary>
    public DarkBlock(int inChannels, int outChannels, double bottleRatio, int groups, ActivationKind activation)
        : base(nameof(DarkBlock))
    {
        int mid = (int)Math.Round(outChannels * bottleRatio, MidpointRounding.ToEven);
        conv1 = new ConvNormAct(inChannels, mid, 1, activation: activation);
        conv2 = new ConvNormAct(mid, outChannels, 3, groups: groups, activation: activation);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var a = conv1.call(x);
        var b = conv2.call(a);
        // The activation inside conv2 saved its output for backward: add out of place when autograd records.
        if (!b.requires_grad) return b.add_(x);
        using (b) return b + x;
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input) =>
        graph.Add(graph.Module("conv2", conv2, graph.Module("conv1", conv1, input)), input);

    void IZeroInitLast.ZeroInitLast() => conv2.ZeroNormWeight();
}
