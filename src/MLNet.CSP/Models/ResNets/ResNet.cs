namespace MLNet.CSP.Models.ResNets;

/// <summary>torchvision ResNet / ResNeXt with bottleneck blocks: <c>conv1</c>, <c>bn1</c>, <c>layer1..4</c>, <c>fc</c>.</summary>
public sealed class ResNet : Backbone, IFoldable
{
    private readonly Conv2dLayer conv1;
    private readonly BatchNorm2d bn1;
    private readonly List<TorchSharp.Modules.ModuleList<ResNetBottleneck>> layers = [];
    private FoldedConv? foldedStem;

    /// <summary>Builds the network described by <paramref name="config"/>.</summary>
    public ResNet(string name, ResNetConfig config, int numClasses) : base(name, config.Pretrained)
    {
        ArgumentNullException.ThrowIfNull(config);
        conv1 = new Conv2dLayer(3, 64, 7, 2, 3);
        bn1 = nn.BatchNorm2d(64);
        RegisterComponents();
        int channels = 64;
        for (int i = 0; i < config.Layers.Count; i++)
        {
            int planes = 64 << i;
            var layer = new TorchSharp.Modules.ModuleList<ResNetBottleneck>();
            for (int b = 0; b < config.Layers[i]; b++)
            {
                layer.Add(new ResNetBottleneck(channels, planes, b == 0 && i > 0 ? 2 : 1, config.Groups, config.WidthPerGroup));
                channels = planes * ResNetBottleneck.Expansion;
            }
            register_module($"layer{i + 1}", layer);
            layers.Add(layer);
        }
        NumFeatures = channels;
        var fc = new ClassifierSlot(this, "fc", channels);
        fc.Reset(numClasses);
        UseClassifier(fc, "fc.");
        ReferenceInitialization.TorchvisionResNet(this);
    }

    /// <inheritdoc />
    public override int NumFeatures { get; }

    /// <inheritdoc />
    private protected override Tensor RunFeatures(Tensor x, FeatureTap? tap)
    {
        Tensor current;
        using (var stem = StemActivation(x))
        {
            tap?.Invoke("act1", stem, TapKind.Level);
            current = Pooling.StemMaxPool(stem);
        }
        tap?.Invoke("maxpool", current, TapKind.Stage);
        for (int i = 0; i < layers.Count; i++)
        {
            foreach (var block in layers[i])
            {
                var next = block.call(current);
                current.Dispose();
                current = next;
            }
            tap?.Invoke($"layer{i + 1}", current, TapKind.StageAndLevel);
        }
        return current;
    }

    private protected override string ExportFeaturesOnnx(OnnxGraph graph, string input)
    {
        string current;
        string act1;
        using (graph.Scope("conv1")) act1 = graph.Activation(graph.ConvBatchNorm(input, conv1, bn1), ActivationKind.ReLU);
        current = graph.MaxPool(graph.Record("act1", act1), 3, 2, 1);
        for (int i = 0; i < layers.Count; i++)
        {
            for (int b = 0; b < layers[i].Count; b++) current = graph.Module($"layer{i + 1}.{b}", layers[i][b], current);
            graph.Record($"layer{i + 1}", current);
        }
        return current;
    }

    /// <summary>conv1, bn1 (folded on the fast path) and the ReLU: torchvision's <c>act1</c> output at stride 2.</summary>
    private Tensor StemActivation(Tensor x)
    {
        if (foldedStem is not null) return foldedStem.Forward(x).relu_();
        using var c = conv1.call(x);
        return bn1.call(c).relu_();
    }

    void IFoldable.Fold() => FoldedConv.Replace(ref foldedStem, conv1, bn1);

    /// <inheritdoc cref="IFoldable.Unfold" />
    public void Unfold() => FoldedConv.Replace(ref foldedStem, null, null);
}
