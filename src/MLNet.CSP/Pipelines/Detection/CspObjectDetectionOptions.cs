namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.CspObjectDetection</c>: the network settings of
/// <see cref="CspNetworkOptions"/>, the training settings every trainer shares (<see cref="CspTrainingOptions"/>: validation,
/// early stopping, checkpoints and resume, the image cache, cancellation) and the detector's own below; column names as ML.NET's
/// own <c>ObjectDetection</c> trainer, every default in <see cref="CspDefaults"/>. <see cref="CspNetworkOptions.CropFraction"/>
/// and <see cref="CspNetworkOptions.Interpolation"/> do not apply: the detector letterboxes the whole image.
/// </summary>
public class CspObjectDetectionOptions : CspTrainingOptions
{
    /// <summary>Creates the options with the trainer's defaults.</summary>
    public CspObjectDetectionOptions()
        : base(CspDefaults.DetectorArchitecture, CspDefaults.DetectorBatchSize, CspDefaults.DetectorLearningRate, CspDefaults.DetectorWeightDecay) =>
        ImageSize = CspDefaults.DetectorImageSize;

    /// <summary>Input: x0, y0, x1, y1 of each box in original pixels (a float vector, four values per label).</summary>
    public string BoundingBoxColumnName { get; set; } = CspDefaults.BoundingBoxColumnName;

    /// <summary>Output: x0, y0, x1, y1 of each detection in original pixels.</summary>
    public string PredictedBoundingBoxColumnName { get; set; } = CspDefaults.PredictedBoundingBoxColumnName;

    /// <summary>The neck between backbone and heads.</summary>
    public NeckKind Neck { get; set; } = NeckKind.Efm;

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

    /// <summary>Called after every epoch (with the validation data's COCO metrics when there is validation data).</summary>
    public Action<CspDetectionEpochMetrics>? MetricsCallback { get; set; }

    internal override void Validate()
    {
        base.Validate();
        int size = ImageSize ?? CspDefaults.DetectorImageSize;
        if (size < 64 || size % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(ImageSize), size, "The detector's ImageSize must be a multiple of 32, at least 64.");
        foreach (var (name, value) in new[] { (nameof(BoundingBoxColumnName), BoundingBoxColumnName), (nameof(PredictedBoundingBoxColumnName), PredictedBoundingBoxColumnName) })
            ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        if (!Enum.IsDefined(Neck)) throw new ArgumentOutOfRangeException(nameof(Neck), Neck, "Unknown neck.");
        if (!Enum.IsDefined(BoxLoss)) throw new ArgumentOutOfRangeException(nameof(BoxLoss), BoxLoss, "Unknown box loss.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDetections, 1, nameof(MaxDetections));
        if (!(ScoreThreshold >= 0 && ScoreThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(ScoreThreshold), ScoreThreshold, "ScoreThreshold must be in [0, 1].");
        if (!(IouThreshold >= 0 && IouThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(IouThreshold), IouThreshold, "IouThreshold must be in [0, 1].");
        if (Anchors is not null)
        {
            if (Anchors.Length != 18) throw new ArgumentException($"Anchors needs 9 width, height pairs (18 values); got {Anchors.Length}.", nameof(Anchors));
            if (Anchors.Any(a => !(a > 0) || !float.IsFinite(a))) throw new ArgumentOutOfRangeException(nameof(Anchors), "Anchor sizes must be finite and positive.");
        }
    }
}
