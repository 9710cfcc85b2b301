namespace MLNet.CSP.Models.ResNets;

/// <summary>torchvision ResNet v1.5 bottleneck (stride on the 3x3): keys <c>conv1..3</c>, <c>bn1..3</c>, <c>downsample.0/1</c>.</summary>
public sealed class ResNetBottleneck : nn.Module<Tensor, Tensor>, IFoldable, IOnnxExportable
{
    /// <summary>Output channels are <c>planes * Expansion</c>.</summary>
    public const int Expansion = 4;

    private readonly Conv2dLayer conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2dLayer conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2dLayer conv3;
    private readonly BatchNorm2d bn3;
    private readonly TorchSharp.Modules.Sequential? downsample;
    private FoldedConv[]? folded;

    /// <summary>Creates the block; width is <c>planes * widthPerGroup / 64 * groups</c>.</summary>
    public ResNetBottleneck(int inChannels, int planes, int stride, int groups, int widthPerGroup) : base(nameof(ResNetBottleneck))
    {
        int width = (int)(planes * (widthPerGroup / 64.0)) * groups;
        int outChannels = planes * Expansion;
        conv1 = new Conv2dLayer(inChannels, width, 1);
        bn1 = nn.BatchNorm2d(width);
        conv2 = new Conv2dLayer(width, width, 3, stride, 1, groups);
        bn2 = nn.BatchNorm2d(width);
        conv3 = new Conv2dLayer(width, outChannels, 1);
        bn3 = nn.BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
            downsample = nn.Sequential(new Conv2dLayer(inChannels, outChannels, 1, stride), nn.BatchNorm2d(outChannels));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (folded is not null) return FoldedForward(x, folded);
        using var a0 = conv1.call(x);
        using var a = bn1.call(a0).relu_();
        using var b0 = conv2.call(a);
        using var b = bn2.call(b0).relu_();
        using var c0 = conv3.call(b);
        var c = bn3.call(c0);
        if (downsample is null) return c.add_(x).relu_();
        using var identity = downsample.call(x);
        return c.add_(identity).relu_();
    }

    private static Tensor FoldedForward(Tensor x, FoldedConv[] f)
    {
        using var a = f[0].Forward(x).relu_();
        using var b = f[1].Forward(a).relu_();
        var c = f[2].Forward(b);
        if (f.Length == 3) return c.add_(x).relu_();
        using var identity = f[3].Forward(x);
        return c.add_(identity).relu_();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string a = graph.Activation(graph.ConvBatchNorm(input, conv1, bn1), ActivationKind.ReLU);
        string b = graph.Activation(graph.ConvBatchNorm(a, conv2, bn2), ActivationKind.ReLU);
        string c = graph.ConvBatchNorm(b, conv3, bn3);
        string identity = input;
        if (downsample is not null)
        {
            using (graph.Scope("downsample"))
                identity = graph.ConvBatchNorm(input, (Conv2dLayer)downsample.children().ElementAt(0), (BatchNorm2d)downsample.children().ElementAt(1));
        }
        return graph.Activation(graph.Add(c, identity), ActivationKind.ReLU);
    }

    void IFoldable.Fold()
    {
        Unfold();
        var list = new List<FoldedConv> { new(conv1, bn1), new(conv2, bn2), new(conv3, bn3) };
        if (downsample is not null)
            list.Add(new FoldedConv((Conv2dLayer)downsample.children().ElementAt(0), (BatchNorm2d)downsample.children().ElementAt(1)));
        folded = [.. list];
    }

    /// <inheritdoc cref="IFoldable.Unfold" />
    public void Unfold()
    {
        if (folded is null) return;
        foreach (var f in folded) f.Dispose();
        folded = null;
    }
}
