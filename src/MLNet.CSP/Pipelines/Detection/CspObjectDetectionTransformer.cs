using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Engines;

namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// A trained CSP object detector: appends, per image, <c>PredictedLabel</c> (a key per detection), <c>Score</c> and
/// <c>PredictedBoundingBoxes</c> (x0, y0, x1, y1 per detection in the image's own pixels), best first. Images of any size
/// (letterboxed to the network's input). Streams in batches, serves <c>PredictionEngine</c>s, saves with <c>mlContext.Model.Save</c>.
/// </summary>
public sealed class CspObjectDetectionTransformer : CspTransformer
{
    private readonly DetectionDecoder decoder;
    private readonly Lazy<OnnxRuntimeDetector>? onnx;

    // engine: what runs the detector (null: the settings' engine); the settings keep the one saved.
    internal CspObjectDetectionTransformer(DetectorSettings settings, CspDetector detector, ImagePreprocessing normalisation, Device device, int? threads,
        InferenceEngine? engine = null)
        : base(settings.ImageColumnName, settings.BatchSize)
    {
        (Settings, Detector, Normalisation, DeviceUsed, Threads) = (settings, detector, normalisation, device, threads);
        detector.to(device);
        detector.OptimizeForInference();
        decoder = new DetectionDecoder(detector.Anchors, settings.Classes, settings.ScoreThreshold, settings.IouThreshold, settings.MaxDetections);
        Engine = InferenceEngines.Resolve(engine ?? settings.Engine, device);
        if (Engine == InferenceEngine.OnnxRuntime)
        {
            int ortThreads = threads ?? torch.get_num_threads();
            onnx = new(() => new OnnxRuntimeDetector(detector, (settings.ScoreThreshold, settings.IouThreshold, settings.MaxDetections), ortThreads));
        }
    }

    /// <summary>
    /// What computes the detections: <see cref="InferenceEngine.TorchSharp"/>, or <see cref="InferenceEngine.OnnxRuntime"/> running
    /// the detector's own export with suppression inside (one image per run).
    /// </summary>
    public override InferenceEngine Engine { get; }

    internal DetectorSettings Settings { get; }

    internal ImagePreprocessing Normalisation { get; }

    internal Device DeviceUsed { get; }

    internal override int? Threads { get; }

    /// <summary>The trained detector (eval mode, inference fast path).</summary>
    public CspDetector Detector { get; }

    /// <summary>Object classes.</summary>
    public int Classes => Settings.Classes;

    /// <summary>The label's values in key order, when the training label carried them.</summary>
    public IReadOnlyList<string>? ClassNames => Settings.ClassNames;

    /// <summary>Detections of preprocessed (letterboxed) images, in input pixels.</summary>
    internal IReadOnlyList<IReadOnlyList<ScoredBox>> Detect(Tensor images)
    {
        if (onnx is not null) return onnx.Value.Detect(images);
        using var threads = TorchThreads.Use(Threads);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var outputs = Detector.call(images.to(DeviceUsed));
        return decoder.Decode(outputs, Detector.ImageSize, Detector.ImageSize);
    }

    /// <inheritdoc />
    private protected override void Release()
    {
        if (onnx is { IsValueCreated: true }) onnx.Value.Dispose();
        Detector.Dispose();
    }

    /// <inheritdoc />
    private protected override void Save(ModelSaveContext ctx) => DetectorPersistence.Save(ctx, this);

    /// <summary>
    /// Writes the trained detector as an ONNX model with its normalisation inside the graph: input <c>image</c> [N, 3, S, S], planar
    /// RGB 0..255 of the letterboxed image (scaled to fit S x S, centred, grey 114 around it; <see cref="Letterbox"/> gives the
    /// mapping back), outputs <c>boxes</c> and <c>scores</c> for every anchor (see <see cref="CspDetector.ExportOnnx(string, OnnxExportOptions?)"/>).
    /// Non-maximum suppression (per class, IoU <see cref="DetectionDecoder.IouThreshold"/>) is left to the caller, or with
    /// <see cref="OnnxExportOptions.IncludeNms"/> is in the graph, which then outputs this transformer's detections of one
    /// image (<c>boxes</c>, <c>scores</c>, <c>labels</c>); the class labels are in the file's metadata (<c>mlnet_csp.labels</c>).
    /// </summary>
    /// <param name="stream">The stream the ONNX model is written to.</param>
    /// <param name="options">Batch symbol and opset; defaults when null.</param>
    public override OnnxExportInfo ExportOnnx(Stream stream, OnnxExportOptions? options = null) =>
        OnnxDetectorWriter.Write(stream, Detector, options ?? new OnnxExportOptions(), Normalisation, ClassNames,
            (Settings.ScoreThreshold, Settings.IouThreshold, Settings.MaxDetections));

    private int Capacity => Settings.MaxDetections;

    /// <inheritdoc />
    private protected override Tensor Preprocess(MLImage image) => Letterbox.Apply(image, Detector.ImageSize, Normalisation);

    /// <inheritdoc />
    private protected override void Compute(Tensor images, IReadOnlyList<(int Width, int Height)> sizes, Span<float> destination)
    {
        var found = Detect(images);
        int perRow = 3 + 6 * Capacity;
        for (int r = 0; r < found.Count; r++)
        {
            var row = destination.Slice(r * perRow, perRow);
            var (width, height) = sizes[r];
            var placement = Letterbox.For(width, height, Detector.ImageSize);
            var labels = row.Slice(0, Capacity + 1);
            var scores = row.Slice(Capacity + 1, Capacity + 1);
            var boxes = row.Slice(2 * (Capacity + 1), 4 * Capacity + 1);
            int n = found[r].Count;
            labels[0] = n;
            scores[0] = n;
            boxes[0] = 4 * n;
            for (int i = 0; i < n; i++)
            {
                var d = found[r][i];
                labels[1 + i] = d.Label;
                scores[1 + i] = d.Score;
                boxes[1 + 4 * i] = Math.Clamp(placement.ToOriginalX(d.Box.X0), 0, width);
                boxes[2 + 4 * i] = Math.Clamp(placement.ToOriginalY(d.Box.Y0), 0, height);
                boxes[3 + 4 * i] = Math.Clamp(placement.ToOriginalX(d.Box.X1), 0, width);
                boxes[4 + 4 * i] = Math.Clamp(placement.ToOriginalY(d.Box.Y1), 0, height);
            }
        }
    }

    /// <summary>One row's detections back from its computed values (the layout <see cref="Compute"/> writes), named.</summary>
    internal IReadOnlyList<Serving.CspDetection> Detections(ReadOnlySpan<float> row)
    {
        int n = (int)row[0];
        var found = new Serving.CspDetection[n];
        for (int i = 0; i < n; i++)
        {
            int label = (int)row[1 + i];
            var box = row.Slice(2 * (Capacity + 1) + 1 + 4 * i, 4);
            string name = ClassNames is { } names && label < names.Count ? names[label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);
            found[i] = new Serving.CspDetection(name, label, row[Capacity + 2 + i], new BoundingBox(box[0], box[1], box[2], box[3]));
        }
        return found;
    }

    /// <inheritdoc />
    private protected override IReadOnlyList<AppendedColumn> Columns()
    {
        var keyType = new KeyDataViewType(typeof(uint), Settings.Classes);
        return
        [
            AppendedColumn.VariableKeys(Settings.PredictedLabelColumnName, keyType, 0, Capacity, KeyValues.ToAnnotations(Settings.ClassNames)),
            AppendedColumn.VariableVector(Settings.ScoreColumnName, Capacity + 1, Capacity),
            AppendedColumn.VariableVector(Settings.PredictedBoundingBoxColumnName, 2 * (Capacity + 1), 4 * Capacity),
        ];
    }
}
