namespace MLNet.CSP.Models.DenseNets;

/// <summary>
/// The <c>features</c> trunk of torchvision's DenseNet: <c>conv0</c>, <c>norm0</c>, max pool, then
/// <c>denseblockN</c> / <c>transitionN</c>, and <c>norm5</c> (returned before the final ReLU). With a CSPDenseNet
/// configuration the blocks and transitions are replaced by <c>stageN</c> (<see cref="PartialDenseStage"/>) of the
/// same output widths. The inference fast path folds <c>norm0</c> into <c>conv0</c>.
/// </summary>
internal sealed class DenseNetFeatures : nn.Module<Tensor, Tensor>, IFoldable, IOnnxExportable
{
    private readonly Conv2dLayer conv0;
    private readonly BatchNorm2d norm0;
    private readonly List<(string Name, nn.Module<Tensor, Tensor> Module)> body = [];
    private readonly BatchNorm2d norm5;
    private FoldedConv? foldedStem;

    public DenseNetFeatures(DenseNetConfig config, CspDenseNetConfig? csp = null) : base("features")
    {
        conv0 = new Conv2dLayer(3, config.InitFeatures, 7, 2, 3);
        norm0 = nn.BatchNorm2d(config.InitFeatures);
        register_module("conv0", conv0);
        register_module("norm0", norm0);
        int channels = config.InitFeatures;
        for (int i = 0; i < config.BlockConfig.Count; i++)
        {
            bool last = i == config.BlockConfig.Count - 1;
            int grown = channels + config.BlockConfig[i] * config.GrowthRate;
            int stageOut = last ? grown : grown / 2;
            if (csp is not null)
            {
                Add($"stage{i + 1}", new PartialDenseStage(channels, stageOut, config.BlockConfig[i], config.GrowthRate, config.BnSize, csp.Fusion, csp.Gamma, downsample: !last));
            }
            else
            {
                Add($"denseblock{i + 1}", new DenseBlock(config.BlockConfig[i], channels, config.GrowthRate, config.BnSize));
                if (!last) Add($"transition{i + 1}", new DenseTransition(grown, stageOut));
            }
            channels = stageOut;
        }
        norm5 = nn.BatchNorm2d(channels);
        register_module("norm5", norm5);
        OutChannels = channels;
    }

    public int OutChannels { get; }

    private void Add(string name, nn.Module<Tensor, Tensor> module)
    {
        register_module(name, module);
        body.Add((name, module));
    }

    /// <summary>Runs the trunk, reporting stage outputs with torchvision's module paths.</summary>
    internal Tensor Run(Tensor x, FeatureTap? tap)
    {
        Tensor current;
        using (var n = foldedStem is null ? NormedStem(x) : foldedStem.Forward(x).relu_())
        {
            tap?.Invoke("features.norm0", n, TapKind.Level);
            current = Pooling.StemMaxPool(n);
        }
        tap?.Invoke("features.pool0", current, TapKind.Stage);
        foreach (var (name, module) in body)
        {
            var next = module.call(current);
            current.Dispose();
            current = next;
            tap?.Invoke("features." + name, current, TapKind.StageAndLevel);
        }
        using (current)
        {
            var normed = norm5.call(current);
            tap?.Invoke("features.norm5", normed, TapKind.StageAndLevel);
            return normed;
        }
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string current;
        string norm;
        using (graph.Scope("conv0")) norm = graph.Activation(graph.ConvBatchNorm(input, conv0, norm0), ActivationKind.ReLU);
        current = graph.MaxPool(graph.Record("norm0", norm), 3, 2, 1);
        foreach (var (name, module) in body) current = graph.Module(name, module, current);
        using (graph.Scope("norm5")) current = graph.BatchNorm(current, norm5);
        return graph.Record("norm5", current);
    }

    private Tensor NormedStem(Tensor x)
    {
        using var c = conv0.call(x);
        return norm0.call(c).relu_();
    }

    public override Tensor forward(Tensor x) => Run(x, null);

    void IFoldable.Fold() => FoldedConv.Replace(ref foldedStem, conv0, norm0);

    /// <inheritdoc cref="IFoldable.Unfold" />
    public void Unfold() => FoldedConv.Replace(ref foldedStem, null, null);
}
