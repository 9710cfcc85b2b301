namespace MLNet.CSP.Models.DenseNets;

/// <summary>
/// torchvision DenseNet: <c>features.*</c>, then ReLU, global average pool and <c>classifier</c>; with a
/// <see cref="CspDenseNetConfig"/> the CSPDenseNet built on it (partial dense stages in <c>features.stageN</c>).
/// </summary>
public sealed class DenseNet : Backbone
{
    private readonly DenseNetFeatures features;

    /// <summary>Builds the network described by <paramref name="config"/>, as a CSPDenseNet when <paramref name="csp"/> is given.</summary>
    public DenseNet(string name, DenseNetConfig config, int numClasses, CspDenseNetConfig? csp = null) : base(name, config.Pretrained)
    {
        ArgumentNullException.ThrowIfNull(config);
        features = new DenseNetFeatures(config, csp);
        register_module("features", features);
        NumFeatures = features.OutChannels;
        var classifier = new ClassifierSlot(this, "classifier", NumFeatures);
        classifier.Reset(numClasses);
        UseClassifier(classifier, "classifier.");
        ReferenceInitialization.TorchvisionDenseNet(this);
    }

    /// <inheritdoc />
    public override int NumFeatures { get; }

    /// <inheritdoc />
    protected override Tensor ActivateFeatures(Tensor features) => features.relu();

    private protected override string ExportFeaturesOnnx(OnnxGraph graph, string input) => graph.Module("features", features, input);

    private protected override string ExportFeatureActivationOnnx(OnnxGraph graph, string features) => graph.Activation(features, ActivationKind.ReLU);

    /// <inheritdoc />
    private protected override Tensor RunFeatures(Tensor x, FeatureTap? tap) => features.Run(x, tap);
}
