using TorchSharp.Modules;

namespace MLNet.CSP.Detection;

/// <summary>A 1x1 convolution with bias (keys <c>weight</c>, <c>bias</c>) that convolves through the backend's checked path.</summary>
internal sealed class PredictionConv : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private static readonly long[] One = [1, 1];
    private static readonly long[] Zero = [0, 0];
    private readonly Parameter weight;
    private readonly Parameter bias;

    public PredictionConv(int inChannels, int outChannels) : base(nameof(PredictionConv))
    {
        weight = new Parameter(torch.empty(outChannels, inChannels, 1, 1));
        bias = new Parameter(torch.zeros(outChannels));
        using (torch.no_grad()) nn.init.normal_(weight, 0, 0.01);
        RegisterComponents();
    }

    /// <summary>The bias, for the head's prior initialisation.</summary>
    public Parameter Bias => bias;

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input) => graph.Conv(input, weight, bias, One, Zero, 1);

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Backend.Convolutions.Forward(x, weight, bias, One, Zero, One, 1);
}
