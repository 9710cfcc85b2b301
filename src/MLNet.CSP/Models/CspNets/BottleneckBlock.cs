namespace MLNet.CSP.Models.CspNets;

/// <summary>
/// ResNe(X)t bottleneck used inside CSP stages (timm <c>BottleneckBlock</c>): 1x1, grouped 3x3, 1x1 without
/// activation, residual add, then the activation.
/// </summary>
public sealed class BottleneckBlock : nn.Module<Tensor, Tensor>, IZeroInitLast, IOnnxExportable
{
    private readonly ConvNormAct conv1;
    private readonly ConvNormAct conv2;
    private readonly ConvNormAct conv3;
    private readonly ActivationKind activation;

    /// <summary>Creates the block; the mid width is <c>round(outChannels * bottleRatio)</c>.</summary>
    public BottleneckBlock(int inChannels, int outChannels, double bottleRatio, int groups, ActivationKind activation)
        : base(nameof(BottleneckBlock))
    {
        int mid = (int)Math.Round(outChannels * bottleRatio, MidpointRounding.ToEven);
        conv1 = new ConvNormAct(inChannels, mid, 1, activation: activation);
        conv2 = new ConvNormAct(mid, mid, 3, groups: groups, activation: activation);
        conv3 = new ConvNormAct(mid, outChannels, 1, activation: ActivationKind.None);
        this.activation = activation;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var a = conv1.call(x);
        using var b = conv2.call(a);
        var c = conv3.call(b);
        c.add_(x);
        return Activations.Apply(c, activation, inPlace: true);
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string c = graph.Module("conv3", conv3, graph.Module("conv2", conv2, graph.Module("conv1", conv1, input)));
        return graph.Activation(graph.Add(c, input), activation);
    }

    void IZeroInitLast.ZeroInitLast() => conv3.ZeroNormWeight();
}
