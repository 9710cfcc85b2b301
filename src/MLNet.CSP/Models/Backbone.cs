namespace MLNet.CSP.Models;

/// <summary>
/// An image backbone with a classifier head. <c>forward</c> returns logits; <see cref="ForwardFeatures"/> returns the
/// final feature map and <see cref="ForwardHead"/> pools it (and classifies it unless <c>preLogits</c>).
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the backbone.</summary>
    protected Backbone(string architecture, PretrainedConfig pretrained) : base(architecture)
    {
        Architecture = architecture;
        Pretrained = pretrained;
    }

    /// <summary>The registered name this network was built from.</summary>
    public string Architecture { get; }

    /// <summary>Preprocessing that the published checkpoint expects.</summary>
    public PretrainedConfig Pretrained { get; internal set; }

    /// <summary>Channels of the final feature map (= length of the pooled feature vector).</summary>
    public abstract int NumFeatures { get; }

    /// <summary>Number of classes of the classifier (0: none, <c>forward</c> returns pooled features).</summary>
    public int NumClasses => Classifier.NumClasses;

    /// <summary>State-dict key prefix of the classifier parameters (e.g. <c>head.fc.</c>).</summary>
    public string ClassifierPrefix => classifierPrefix;

    private ClassifierSlot? classifier;
    private string classifierPrefix = "";

    private ClassifierSlot Classifier => classifier ?? throw new InvalidOperationException($"{Architecture} has not set up its classifier.");

    /// <summary>The network's replaceable classifier and its state-dict prefix; set once by the network's constructor.</summary>
    private protected void UseClassifier(ClassifierSlot slot, string prefix)
    {
        classifier = slot;
        classifierPrefix = prefix;
    }

    /// <summary>
    /// The state dict in PyTorch's key order (per module: parameters, buffers, then children), the order the
    /// reference implementations and published checkpoints use. Tensors are the live parameters and buffers.
    /// </summary>
    public IReadOnlyList<(string Key, Tensor Value)> StateDict() => PyTorchStateDict.Entries(this);

    /// <summary>Whether <see cref="OptimizeForInference"/> is in effect (eval mode, folded BatchNorms, channels-last).</summary>
    public bool IsOptimizedForInference { get; private set; }

    /// <summary>
    /// Switches to eval mode and prepares the inference fast path: every BatchNorm that follows a convolution is
    /// folded into it and activations run channels-last (oneDNN's fastest layout on CPU). Outputs stay equal to the
    /// plain eval forward up to float rounding. The trained parameters are untouched; <c>train()</c> drops the fast
    /// path (the one place that does: the layers only follow whether they hold folded weights). Call again after changing weights in eval mode (loading a checkpoint does it for you).
    /// </summary>
    public void OptimizeForInference()
    {
        eval();
        // Children first: a stage that replaces its layers' folds (cross stages) then drops theirs.
        foreach (var module in modules().Prepend(this).Distinct().OfType<IFoldable>().Reverse()) module.Fold();
        IsOptimizedForInference = true;
    }

    /// <summary>Drops the inference fast path built by <see cref="OptimizeForInference"/>.</summary>
    public void ClearInferenceOptimization()
    {
        foreach (var module in modules().Prepend(this).Distinct().OfType<IFoldable>()) module.Unfold();
        IsOptimizedForInference = false;
    }

    /// <summary>
    /// Training on the CPU runs channels-last from this many input pixels per image (H x W) on: 20-35% faster training
    /// steps at 224x224; at 64x64 and below the layouts are even, so small inputs keep NCHW.
    /// </summary>
    internal const long ChannelsLastTrainingMinPixels = 112 * 112;

    /// <summary>Runs the network up to the final feature map (NCHW).</summary>
    public Tensor ForwardFeatures(Tensor x)
    {
        ValidateInput(x);
        if (!RunsChannelsLast(x)) return RunFeatures(x, null);
        using var channelsLast = MemoryLayout.ToChannelsLast(x);
        using var features = RunFeatures(channelsLast, null);
        return features.contiguous();
    }

    /// <summary>
    /// The trunk's feature pyramid for a neck or any other head: one map per entry of <see cref="FeatureInfo"/> (the last
    /// module output at each stride), on the same path as <see cref="ForwardFeatures"/> (the fast path included, whose maps
    /// are NCHW-shaped views of channels-last storage). The caller owns the returned tensors.
    /// </summary>
    public IReadOnlyList<Tensor> ForwardFeatureMaps(Tensor x)
    {
        ValidateInput(x);
        var wanted = FeatureInfo.Select(f => f.Module).ToHashSet(StringComparer.Ordinal);
        var maps = new List<Tensor>(wanted.Count);
        using var channelsLast = RunsChannelsLast(x) ? MemoryLayout.ToChannelsLast(x) : null;
        RunFeatures(channelsLast ?? x, (name, t, kind) => { if (kind.HasFlag(TapKind.Level) && wanted.Contains(name)) maps.Add(t.alias()); }).Dispose();
        return maps;
    }

    /// <summary>
    /// Channels and stride of each level of the trunk's feature pyramid (timm's <c>feature_info</c>): for every stride, the
    /// last module output at that stride, named as the reference's module (e.g. <c>stages.2</c>, <c>layer3</c>,
    /// <c>features.denseblock3</c>). Measured once with a small dry run on the plain path.
    /// </summary>
    public IReadOnlyList<FeatureInfo> FeatureInfo => featureInfo ??= MeasureFeatureInfo();

    private IReadOnlyList<FeatureInfo>? featureInfo;

    private IReadOnlyList<FeatureInfo> MeasureFeatureInfo()
    {
        const int size = 64;
        var levels = new List<FeatureInfo>();
        bool wasTraining = training;
        if (wasTraining) base.train(false); // no BatchNorm statistics are touched
        try
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var device = parameters().FirstOrDefault()?.device ?? torch.CPU;
            RunFeatures(torch.zeros(1, 3, size, size, device: device), (name, t, kind) =>
            {
                if (!kind.HasFlag(TapKind.Level)) return;
                var level = new FeatureInfo(name, (int)t.shape[1], (int)(size / t.shape[2]));
                if (levels.Count > 0 && levels[^1].Reduction == level.Reduction) levels[^1] = level;
                else levels.Add(level);
            });
        }
        finally
        {
            if (wasTraining) base.train(true);
        }
        return levels;
    }

    /// <summary>Switches training mode; entering training drops the inference fast path (its folded weights would go stale).</summary>
    public override void train(bool on = true)
    {
        if (on && IsOptimizedForInference) ClearInferenceOptimization();
        base.train(on);
    }

    /// <summary>Whether <paramref name="x"/> runs channels-last: on the fast path, and in CPU training from <see cref="ChannelsLastTrainingMinPixels"/> on.</summary>
    private bool RunsChannelsLast(Tensor x) =>
        IsOptimizedForInference || (training && x.device_type == DeviceType.CPU && x.shape[2] * x.shape[3] >= ChannelsLastTrainingMinPixels);

    /// <summary>
    /// Runs the network up to the final feature map and returns every stage's output, named as the reference
    /// implementation's modules (e.g. <c>stem</c>, <c>stages.0</c>; <c>layer1</c>; <c>features.denseblock1</c>).
    /// The caller owns the returned tensors.
    /// </summary>
    public IReadOnlyList<(string Name, Tensor Output)> ForwardStages(Tensor x)
    {
        ValidateInput(x);
        var outputs = new List<(string, Tensor)>();
        RunFeatures(x, (name, t, kind) => { if (kind.HasFlag(TapKind.Stage)) outputs.Add((name, t.alias())); }).Dispose();
        return outputs;
    }

    /// <summary>Pools a feature map (average); returns the pooled vector when <paramref name="preLogits"/>, else logits.</summary>
    public Tensor ForwardHead(Tensor features, bool preLogits = false)
    {
        var pooled = ForwardPooled(features, GlobalPooling.Average);
        if (preLogits || NumClasses == 0) return pooled;
        using (pooled) return Classifier.Apply(pooled);
    }

    /// <summary>
    /// Reduces a feature map from <see cref="ForwardFeatures"/> to [N, <see cref="NumFeatures"/>], applying the
    /// network's final activation first where it has one (DenseNet's ReLU).
    /// </summary>
    public Tensor ForwardPooled(Tensor features, GlobalPooling pooling = GlobalPooling.Average)
    {
        ArgumentNullException.ThrowIfNull(features);
        using var activated = ActivateFeatures(features);
        return pooling switch
        {
            GlobalPooling.Average => Pooling.GlobalAverage(activated),
            GlobalPooling.Max => activated.amax([2L, 3L]),
            _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown pooling."),
        };
    }

    /// <summary>The final activation applied to the feature map before pooling (none by default).</summary>
    protected virtual Tensor ActivateFeatures(Tensor features) => features.alias();

    /// <summary>Replaces the classifier with a freshly initialised one (PyTorch's default init, as timm's reset); 0 removes it.</summary>
    public void ResetClassifier(int numClasses) => Classifier.Reset(numClasses);

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var features = ForwardFeatures(x);
        return ForwardHead(features, preLogits: false);
    }

    /// <summary>
    /// Writes the network as an ONNX file: input <c>input</c> [N, 3, H, W] float (normalised as the network expects), output
    /// <c>logits</c> (or <c>probabilities</c> / <c>features</c>, see <see cref="OnnxExportOptions.Output"/>). The graph is the
    /// inference fast path (BatchNorms folded into the convolutions); it matches <c>forward</c> in eval mode.
    /// </summary>
    /// <param name="path">The .onnx file to write (replaced if it exists).</param>
    /// <param name="height">Input height the graph is declared for (any height when <see cref="OnnxExportOptions.DynamicSize"/>).</param>
    /// <param name="width">Input width the graph is declared for.</param>
    /// <param name="options">Batch and size symbols, opset, output; defaults when null.</param>
    public OnnxExportInfo ExportOnnx(string path, int height, int width, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return AtomicFile.Write(path, stream => ExportOnnx(stream, height, width, options));
    }

    /// <summary>Writes the network as an ONNX model to a stream; see <see cref="ExportOnnx(string, int, int, OnnxExportOptions?)"/>.</summary>
    /// <param name="stream">The stream the ONNX model is written to.</param>
    /// <param name="height">Input height the graph is declared for.</param>
    /// <param name="width">Input width the graph is declared for.</param>
    /// <param name="options">Batch and size symbols, opset, output; defaults when null.</param>
    public OnnxExportInfo ExportOnnx(Stream stream, int height, int width, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return OnnxModelWriter.Write(stream, this, new OnnxNetworkSpec(height, width, options ?? new OnnxExportOptions()));
    }

    /// <summary>Writes the trunk (up to the final feature map) into an ONNX graph.</summary>
    private protected abstract string ExportFeaturesOnnx(OnnxGraph graph, string input);

    /// <summary>Writes <see cref="ActivateFeatures"/> into an ONNX graph (none by default).</summary>
    private protected virtual string ExportFeatureActivationOnnx(OnnxGraph graph, string features) => features;

    /// <summary>Writes the trunk into an ONNX graph and returns its pyramid: one value per entry of <see cref="FeatureInfo"/>.</summary>
    internal IReadOnlyList<string> ExportFeatureMapsOnnx(OnnxGraph graph, string input)
    {
        var levels = FeatureInfo;
        ExportFeaturesOnnx(graph, input);
        return [.. levels.Select(level => graph.Output(level.Module))];
    }

    /// <summary>Writes trunk, final activation, global pooling and (unless <paramref name="preLogits"/>) the classifier.</summary>
    internal string ExportOnnxGraph(OnnxGraph graph, string input, GlobalPooling pooling, bool preLogits)
    {
        string features = ExportFeatureActivationOnnx(graph, ExportFeaturesOnnx(graph, input));
        string pooled;
        using (graph.Scope("head")) pooled = graph.GlobalPool(features, pooling);
        if (preLogits || Classifier.Layer is null) return pooled;
        using (graph.Scope(ClassifierPrefix.TrimEnd('.'))) return graph.Gemm(pooled, Classifier.Layer);
    }

    /// <summary>Runs the feature extractor, reporting stage outputs and pyramid levels to <paramref name="tap"/> when given.</summary>
    private protected abstract Tensor RunFeatures(Tensor x, FeatureTap? tap);

    private static void ValidateInput(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException($"Expected an image batch of shape [N, 3, H, W], got [{string.Join(", ", x.shape)}].", nameof(x));
    }
}
