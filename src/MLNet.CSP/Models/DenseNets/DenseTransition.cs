namespace MLNet.CSP.Models.DenseNets;

/// <summary>
/// torchvision DenseNet transition: BN-ReLU-1x1 conv (<c>norm</c>, <c>conv</c>), then a 2x2 average pool when it
/// downsamples (CSPDenseNet's partial transitions and last-stage fusions do not).
/// </summary>
public sealed class DenseTransition : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly BatchNorm2d norm;
    private readonly Conv2dLayer conv;
    private readonly bool downsample;

    /// <summary>Creates the transition.</summary>
    public DenseTransition(int inChannels, int outChannels, bool downsample = true) : base(nameof(DenseTransition))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        norm = nn.BatchNorm2d(inChannels);
        conv = new Conv2dLayer(inChannels, outChannels, 1);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var a = norm.call(x).relu_();
        if (!downsample) return conv.call(a);
        using var b = conv.call(a);
        return nn.functional.avg_pool2d(b, 2, 2);
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string c = graph.Conv(graph.Activation(graph.BatchNorm(input, norm), ActivationKind.ReLU), conv);
        return downsample ? graph.AveragePool(c, 2, 2) : c;
    }
}
