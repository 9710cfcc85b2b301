namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.CspObjectDetection</c> (column names as ML.NET's own
/// <c>ObjectDetection</c> trainer; every default in <see cref="CspDefaults"/>). <see cref="CspNetworkOptions.CropFraction"/>
/// and <see cref="CspNetworkOptions.Interpolation"/> do not apply: the detector letterboxes the whole image.
/// </summary>
public class CspObjectDetectionOptions : CspNetworkOptions
{
    /// <summary>Creates the options with the trainer's defaults.</summary>
    public CspObjectDetectionOptions() : base(CspDefaults.DetectorArchitecture) => ImageSize = CspDefaults.DetectorImageSize;

    /// <summary>Input: one key per box (a vector of keys, from <c>MapValueToKey</c> on a vector of names).</summary>
    public string LabelColumnName { get; set; } = CspDefaults.LabelColumnName;

    /// <summary>Input: x0, y0, x1, y1 of each box in original pixels (a float vector, four values per label).</summary>
    public string BoundingBoxColumnName { get; set; } = CspDefaults.BoundingBoxColumnName;

    /// <summary>Input image column (<c>LoadImages</c> output or encoded bytes).</summary>
    public string ImageColumnName { get; set; } = CspDefaults.ImageColumnName;

    /// <summary>Output: the class of each detection (the label's key type).</summary>
    public string PredictedLabelColumnName { get; set; } = CspDefaults.PredictedLabelColumnName;

    /// <summary>Output: the score of each detection.</summary>
    public string ScoreColumnName { get; set; } = CspDefaults.ScoreColumnName;

    /// <summary>Output: x0, y0, x1, y1 of each detection in original pixels.</summary>
    public string PredictedBoundingBoxColumnName { get; set; } = CspDefaults.PredictedBoundingBoxColumnName;

    /// <summary>The neck between backbone and heads.</summary>
    public NeckKind Neck { get; set; } = NeckKind.Efm;

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = CspDefaults.Epochs;

    /// <summary>Images per optimisation step.</summary>
    public int BatchSize { get; set; } = CspDefaults.DetectorBatchSize;

    /// <summary>Peak learning rate (AdamW, linear warm-up, then cosine to zero).</summary>
    public double LearningRate { get; set; } = CspDefaults.DetectorLearningRate;

    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; set; } = CspDefaults.DetectorWeightDecay;

    /// <summary>Warm-up length in epochs (fractions allowed).</summary>
    public double WarmupEpochs { get; set; } = CspDefaults.WarmupEpochs;

    /// <summary>Mirror half of the training images left-right (boxes mirrored with them).</summary>
    public bool HorizontalFlip { get; set; } = true;

    /// <summary>
    /// Anchor priors as width, height pairs in input pixels (18 values); null clusters the training boxes (k-means with
    /// 1 - IoU, seeded), falling back to YOLOv3's COCO anchors when there are fewer than 9 distinct box sizes.
    /// </summary>
    public float[]? Anchors { get; set; }

    /// <summary>Box regression loss.</summary>
    public BoxLossKind BoxLoss { get; set; } = BoxLossKind.CIoU;

    /// <summary>Lowest score a detection is reported with.</summary>
    public float ScoreThreshold { get; set; } = CspDefaults.DetectionScoreThreshold;

    /// <summary>NMS: a detection overlapping a better one of its class by more than this IoU is dropped.</summary>
    public float IouThreshold { get; set; } = CspDefaults.DetectionIouThreshold;

    /// <summary>Most detections reported per image.</summary>
    public int MaxDetections { get; set; } = CspDefaults.MaxDetections;

    /// <summary>Images per forward pass when the trained model scores data.</summary>
    public int InferenceBatchSize { get; set; } = CspDefaults.InferenceBatchSize;

    /// <summary>Called after every epoch.</summary>
    public Action<CspDetectionEpochMetrics>? MetricsCallback { get; set; }

    /// <summary>Stops training between batches (the model trained so far is returned).</summary>
    public CancellationToken CancellationToken { get; set; }

    internal override void Validate()
    {
        base.Validate();
        int size = ImageSize ?? CspDefaults.DetectorImageSize;
        if (size < 64 || size % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(ImageSize), size, "The detector's ImageSize must be a multiple of 32, at least 64.");
        foreach (var (name, value) in new[] { (nameof(LabelColumnName), LabelColumnName), (nameof(BoundingBoxColumnName), BoundingBoxColumnName),
                     (nameof(ImageColumnName), ImageColumnName), (nameof(PredictedLabelColumnName), PredictedLabelColumnName),
                     (nameof(ScoreColumnName), ScoreColumnName), (nameof(PredictedBoundingBoxColumnName), PredictedBoundingBoxColumnName) })
            ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        if (!Enum.IsDefined(Neck)) throw new ArgumentOutOfRangeException(nameof(Neck), Neck, "Unknown neck.");
        if (!Enum.IsDefined(BoxLoss)) throw new ArgumentOutOfRangeException(nameof(BoxLoss), BoxLoss, "Unknown box loss.");
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InferenceBatchSize, 1, nameof(InferenceBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDetections, 1, nameof(MaxDetections));
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be finite and positive.");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be finite and non-negative.");
        if (!(WarmupEpochs >= 0 && double.IsFinite(WarmupEpochs))) throw new ArgumentOutOfRangeException(nameof(WarmupEpochs), WarmupEpochs, "WarmupEpochs must be finite and non-negative.");
        if (!(ScoreThreshold >= 0 && ScoreThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(ScoreThreshold), ScoreThreshold, "ScoreThreshold must be in [0, 1].");
        if (!(IouThreshold >= 0 && IouThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(IouThreshold), IouThreshold, "IouThreshold must be in [0, 1].");
        if (Anchors is not null)
        {
            if (Anchors.Length != 18) throw new ArgumentException($"Anchors needs 9 width, height pairs (18 values); got {Anchors.Length}.", nameof(Anchors));
            if (Anchors.Any(a => !(a > 0) || !float.IsFinite(a))) throw new ArgumentOutOfRangeException(nameof(Anchors), "Anchor sizes must be finite and positive.");
        }
    }
}
