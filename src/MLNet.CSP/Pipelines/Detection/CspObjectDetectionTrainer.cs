namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// Trains a CSP object detector (backbone, EFM / PANet-SPP / FPN neck, YOLOv3 heads) inside an ML.NET pipeline, with the
/// columns of ML.NET's own <c>ObjectDetection</c> trainer: input <c>Image</c>, <c>Label</c> (a key per box) and
/// <c>BoundingBoxes</c> (x0, y0, x1, y1 per box, original pixels); output <c>PredictedLabel</c>, <c>Score</c> and
/// <c>PredictedBoundingBoxes</c>. Images of any size are letterboxed; images without boxes train as negatives.
/// </summary>
public sealed class CspObjectDetectionTrainer : CspEstimator<CspObjectDetectionOptions, CspObjectDetectionTransformer>
{
    /// <summary>Options of the trainer (see <see cref="CspObjectDetectionOptions"/> for every setting and default).</summary>
    public sealed class Options : CspObjectDetectionOptions
    {
    }

    internal CspObjectDetectionTrainer(IHostEnvironment env, CspObjectDetectionOptions options)
        : base(env, options, nameof(CspObjectDetectionTrainer))
    {
    }

    private protected override IEnumerable<SchemaShape.Column> AppendedColumns(SchemaShape inputSchema)
    {
        ImageColumn.Check(inputSchema, options.ImageColumnName);
        var label = Find(inputSchema, options.LabelColumnName);
        if (!label.IsKey || label.Kind == SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), LabelMismatch(Describe(label)));
        var boxes = Find(inputSchema, options.BoundingBoxColumnName);
        if (boxes.ItemType != NumberDataViewType.Single || boxes.Kind == SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), BoxMismatch(Describe(boxes)));
        return
        [
            MLNetInternals.VariableVectorColumn(options.PredictedLabelColumnName, label.ItemType!, isKey: true, label.Annotations),
            MLNetInternals.VariableVectorColumn(options.ScoreColumnName, NumberDataViewType.Single),
            MLNetInternals.VariableVectorColumn(options.PredictedBoundingBoxColumnName, NumberDataViewType.Single),
        ];
    }

    /// <inheritdoc />
    public override CspObjectDetectionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var imageKind = ImageColumn.Check(input.Schema, options.ImageColumnName);
        var (labelColumn, classes) = CheckColumns(input.Schema);
        if (options.ValidationSet is not null)
        {
            ImageColumn.Check(options.ValidationSet.Schema, options.ImageColumnName);
            var (_, validationClasses) = CheckColumns(options.ValidationSet.Schema);
            if (validationClasses != classes)
                throw new ArgumentException($"The validation set's label has {validationClasses} classes, the training set's {classes}; map both with the same MapValueToKey transformer.", nameof(input));
        }
        using var threads = TorchThreads.Use(options.TorchThreads);
        var (device, preprocessing) = NetworkSetup.Prepare(host, options);
        int size = options.ImageSize ?? CspDefaults.DetectorImageSize;
        var normalisation = new ImagePreprocessing(size, size, Interpolation.Bilinear, preprocessing.Mean, preprocessing.Std);
        int seed = host.Rand.Next();
        var layout = new DetectionLayout(options.LabelColumnName, options.BoundingBoxColumnName, classes, size, normalisation, options.Augmentation());
        using var data = TrainingData<IReadOnlyList<LabeledBox>, IReadOnlyList<IReadOnlyList<LabeledBox>>>.Read(host, options, input, imageKind, layout, seed);
        if (data.Train.Count < 2) throw new InvalidOperationException($"The training data has {data.Train.Count} rows; the detector needs at least 2.");
        if (data.Train.Targets.All(t => t.Count == 0))
            throw new InvalidOperationException($"No training image has a box (columns '{options.LabelColumnName}', '{options.BoundingBoxColumnName}'); the detector has nothing to learn.");
        var anchors = options.Anchors is { } given
            ? new AnchorBoxes(Enumerable.Range(0, 9).Select(i => (given[2 * i], given[2 * i + 1])))
            : AnchorBoxes.Cluster([.. data.Train.Targets.SelectMany(t => t).Select(b => (b.Box.Width, b.Box.Height))], size, seed);
        var detector = SeededInitialization.Create(seed, () => new CspDetector(options.Architecture, classes, options.Neck, anchors, size));
        try
        {
            string? backboneWeights = options.WeightsPath
                ?? (options.Pretrained ? Weights.Hub.HubDownloads.Download(PretrainedTags.Weights(options.Architecture)!, options.Hub, options.CancellationToken) : null);
            if (backboneWeights is not null)
                Checkpoint.Load(detector.Backbone, backboneWeights, new CheckpointLoadOptions { ExcludeClassifier = true });
            new TrainingLoop<IReadOnlyList<IReadOnlyList<LabeledBox>>>(host, options, new DetectionTask(detector, options, layout), data.Train, data.Validation, device, seed).Run();
            detector.eval();
            var settings = new DetectorSettings(options.ImageColumnName, options.LabelColumnName, options.BoundingBoxColumnName,
                options.PredictedLabelColumnName, options.ScoreColumnName, options.PredictedBoundingBoxColumnName, classes, KeyValues.From(labelColumn),
                options.ScoreThreshold, options.IouThreshold, options.MaxDetections, options.InferenceBatchSize, options.Device, options.FallbackToCpu, options.InferenceEngine);
            return new CspObjectDetectionTransformer(settings, detector, normalisation, device, options.TorchThreads);
        }
        catch
        {
            detector.Dispose();
            throw;
        }
    }

    private (DataViewSchema.Column Label, int Classes) CheckColumns(DataViewSchema schema)
    {
        var label = schema.GetColumnOrNull(options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find label column '{options.LabelColumnName}'");
        if (label.Type is not VectorDataViewType { ItemType: KeyDataViewType key } || key.RawType != typeof(uint))
            throw new ArgumentOutOfRangeException(nameof(schema), LabelMismatch(label.Type.ToString() ?? "unknown"));
        var boxes = schema.GetColumnOrNull(options.BoundingBoxColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find bounding-box column '{options.BoundingBoxColumnName}'");
        if (boxes.Type is not VectorDataViewType { ItemType: NumberDataViewType n } || n != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(schema), BoxMismatch(boxes.Type.ToString() ?? "unknown"));
        if (key.Count < 1 || key.Count > int.MaxValue) throw new InvalidOperationException($"The label column '{options.LabelColumnName}' has {key.Count} classes.");
        return (label, (int)key.Count);
    }

    private static SchemaShape.Column Find(SchemaShape shape, string name) =>
        shape.TryFindColumn(name, out var column) ? column : throw new ArgumentOutOfRangeException(nameof(shape), $"Could not find input column '{name}'");

    private static string Describe(SchemaShape.Column column)
    {
        string item = column.ItemType?.ToString() ?? "unknown";
        return column.Kind == SchemaShape.Column.VectorKind.Scalar ? item : $"Vector<{item}>";
    }

    private string LabelMismatch(string actual) =>
        $"Schema mismatch for label column '{options.LabelColumnName}': expected Vector<Key<UInt32>> (one key per box), got {actual} (map the labels with mlContext.Transforms.Conversion.MapValueToKey)";

    private string BoxMismatch(string actual) =>
        $"Schema mismatch for bounding-box column '{options.BoundingBoxColumnName}': expected Vector<Single> (x0, y0, x1, y1 per box), got {actual}";
}
