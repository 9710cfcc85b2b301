namespace MLNet.CSP.Detection;

/// <summary>
/// A one-stage detector in the paper's layout: a registered backbone (its pyramid at strides 4/8/16/32), a neck (EFM,
/// PANet-SPP or FPN) and YOLOv3 heads with 3 anchors per scale at strides 8/16/32. State-dict keys: <c>backbone.*</c>
/// (the backbone's own keys, without classifier), <c>neck.*</c>, <c>head.*</c>.
/// </summary>
public sealed class CspDetector : nn.Module<Tensor, IReadOnlyList<Tensor>>
{
    private readonly Backbone backbone;
    private readonly DetectionNeck neck;
    private readonly YoloHead head;
    private readonly int[] levels;
    private readonly int[] pooling;

    /// <summary>Builds a freshly initialised detector.</summary>
    /// <param name="architecture">A registered backbone name (see <see cref="Backbones.Names"/>).</param>
    /// <param name="numClasses">Object classes.</param>
    /// <param name="neckKind">The neck.</param>
    /// <param name="anchors">Anchor priors in input pixels.</param>
    /// <param name="imageSize">The square input size, a multiple of 32.</param>
    public CspDetector(string architecture, int numClasses, NeckKind neckKind, AnchorBoxes anchors, int imageSize) : base(nameof(CspDetector))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        Anchors = anchors ?? throw new ArgumentNullException(nameof(anchors));
        if (imageSize < 64 || imageSize % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "The detector's input size must be a multiple of 32, at least 64.");
        backbone = Backbones.Create(architecture, numClasses: 0);
        var info = backbone.FeatureInfo;
        // Each neck input is the backbone level at its stride or, where the backbone skips a stride (CSPDenseNet goes from
        // stride 2 to 8), the closest finer level max-pooled down to it.
        levels = [.. DetectionNeck.InputStrides.Select(stride =>
        {
            int index = info.Select((f, i) => (f, i)).Where(x => x.f.Reduction <= stride).Select(x => x.i).DefaultIfEmpty(-1).Last();
            if (index < 0) throw new ArgumentException($"Backbone '{architecture}' has no feature level at stride {stride} or finer (it has {string.Join(", ", info.Select(f => f.Reduction))}).", nameof(architecture));
            return index;
        })];
        pooling = [.. DetectionNeck.InputStrides.Select((stride, i) => stride / info[levels[i]].Reduction)];
        neck = DetectionNeck.Create(neckKind, [.. levels.Select(i => info[i].Channels)]);
        head = new YoloHead(neck.OutChannels, AnchorBoxes.PerScale, numClasses, imageSize);
        (Architecture, NumClasses, Neck, ImageSize) = (backbone.Architecture, numClasses, neckKind, imageSize);
        RegisterComponents();
    }

    /// <summary>The backbone's registered name.</summary>
    public string Architecture { get; }

    /// <summary>Object classes.</summary>
    public int NumClasses { get; }

    /// <summary>The neck.</summary>
    public NeckKind Neck { get; }

    /// <summary>The square input size the detector was built for.</summary>
    public int ImageSize { get; }

    /// <summary>Anchor priors in input pixels.</summary>
    public AnchorBoxes Anchors { get; }

    /// <summary>The trunk (for loading pretrained backbone weights or freezing it).</summary>
    public Backbone Backbone => backbone;

    /// <summary>The head's raw maps [N, 3 x (5 + classes), H/s, W/s] for strides 8, 16, 32.</summary>
    public override IReadOnlyList<Tensor> forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[2] % 32 != 0 || x.shape[3] % 32 != 0)
            throw new ArgumentException($"The detector takes [N, 3, H, W] with H and W multiples of 32; got [{string.Join(", ", x.shape)}].", nameof(x));
        var maps = backbone.ForwardFeatureMaps(x);
        try
        {
            var inputs = levels.Select((level, i) => pooling[i] == 1 ? maps[level].alias() : nn.functional.max_pool2d(maps[level], pooling[i], pooling[i])).ToList();
            IReadOnlyList<Tensor> fused;
            try
            {
                fused = neck.call(inputs);
            }
            finally
            {
                foreach (var t in inputs) t.Dispose();
            }
            try
            {
                return head.call(fused);
            }
            finally
            {
                foreach (var f in fused) f.Dispose();
            }
        }
        finally
        {
            foreach (var m in maps) m.Dispose();
        }
    }

    /// <summary>
    /// Writes the detector as an ONNX file: input <c>input</c> [N, 3, S, S] float (normalised as the backbone expects, S =
    /// <see cref="ImageSize"/>), outputs <c>boxes</c> [N, B, 4] (x1, y1, x2, y2 in input pixels, clipped to the input) and
    /// <c>scores</c> [N, B, classes] (objectness x class probability) for every anchor of every cell, in the order of
    /// <see cref="DetectionDecoder"/>. Non-maximum suppression is left to the caller (per class, as <see cref="NonMaximumSuppression"/>).
    /// </summary>
    /// <param name="path">The .onnx file to write (replaced if it exists; an earlier file survives a failed export).</param>
    /// <param name="options">Batch symbol and opset; defaults when null. Sizes are fixed (the anchor grids are constants).</param>
    public OnnxExportInfo ExportOnnx(string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return AtomicFile.Write(path, stream => ExportOnnx(stream, options));
    }

    /// <summary>Writes the detector as an ONNX model to a stream; see <see cref="ExportOnnx(string, OnnxExportOptions?)"/>.</summary>
    /// <param name="stream">The stream the ONNX model is written to.</param>
    /// <param name="options">Batch symbol and opset; defaults when null.</param>
    public OnnxExportInfo ExportOnnx(Stream stream, OnnxExportOptions? options = null) =>
        OnnxDetectorWriter.Write(stream, this, options ?? new OnnxExportOptions(), preprocessing: null, labels: null);

    /// <summary>Writes backbone, neck and head into an ONNX graph; returns the head's raw maps (strides 8, 16, 32).</summary>
    internal IReadOnlyList<string> ExportOnnxGraph(OnnxGraph graph, string input)
    {
        var maps = backbone.ExportFeatureMapsOnnx(graph, input);
        var inputs = levels.Select((level, i) => pooling[i] == 1 ? maps[level] : graph.MaxPool(maps[level], pooling[i], pooling[i], 0)).ToList();
        IReadOnlyList<string> fused;
        using (graph.Scope("neck")) fused = neck.ExportOnnx(graph, inputs);
        using (graph.Scope("head")) return head.ExportOnnx(graph, fused);
    }

    /// <summary>Eval mode with BatchNorms folded, in the backbone (its channels-last fast path) and in the neck and head.</summary>
    public void OptimizeForInference()
    {
        eval();
        backbone.OptimizeForInference();
        foreach (var module in neck.modules().Concat(head.modules()).OfType<IFoldable>()) module.Fold();
    }

    /// <summary>Switches training mode; entering training drops the folded inference weights.</summary>
    public override void train(bool on = true)
    {
        if (on)
            foreach (var module in neck.modules().Concat(head.modules()).OfType<IFoldable>()) module.Unfold();
        base.train(on);
    }
}
