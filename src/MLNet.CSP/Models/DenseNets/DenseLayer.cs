namespace MLNet.CSP.Models.DenseNets;

/// <summary>
/// torchvision DenseNet layer: BN-ReLU-1x1 conv to <c>bnSize * growthRate</c>, BN-ReLU-3x3 conv to
/// <c>growthRate</c> new channels. Keys <c>norm1</c>, <c>conv1</c>, <c>norm2</c>, <c>conv2</c>. On the inference
/// fast path <c>norm2</c> is folded into <c>conv1</c> (<c>norm1</c> acts on the concatenation and stays).
/// </summary>
public sealed class DenseLayer : nn.Module<Tensor, Tensor>, IFoldable, IOnnxExportable
{
    private readonly BatchNorm2d norm1;
    private readonly Conv2dLayer conv1;
    private readonly BatchNorm2d norm2;
    private readonly Conv2dLayer conv2;
    private FoldedConv? folded;

    /// <summary>Creates the layer.</summary>
    public DenseLayer(int inChannels, int growthRate, int bnSize) : base(nameof(DenseLayer))
    {
        norm1 = nn.BatchNorm2d(inChannels);
        conv1 = new Conv2dLayer(inChannels, bnSize * growthRate, 1);
        norm2 = nn.BatchNorm2d(bnSize * growthRate);
        conv2 = new Conv2dLayer(bnSize * growthRate, growthRate, 3, 1, 1);
        RegisterComponents();
    }

    /// <summary>Computes the new feature channels from the concatenation of all previous ones.</summary>
    public override Tensor forward(Tensor x)
    {
        using var a = norm1.call(x).relu_();
        if (folded is null)
        {
            using var b = conv1.call(a);
            using var c = norm2.call(b).relu_();
            return conv2.call(c);
        }
        using var f = folded.Forward(a).relu_();
        return conv2.call(f);
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string a = graph.Activation(graph.BatchNorm(input, norm1), ActivationKind.ReLU);
        string b = graph.Activation(graph.ConvBatchNorm(a, conv1, norm2), ActivationKind.ReLU);
        return graph.Conv(b, conv2);
    }

    void IFoldable.Fold() => FoldedConv.Replace(ref folded, conv1, norm2);

    /// <inheritdoc cref="IFoldable.Unfold" />
    public void Unfold() => FoldedConv.Replace(ref folded, null, null);
}
