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

    /// <summary>
    /// Mirror half of the training images left-right (boxes mirrored with them). Off by default since 3.3.0: with the mosaic,
    /// scale, translation and HSV recipe, flips cost 9 points of mAP50 on digits (1 seed) and on the example's garments 0.7 of
    /// mAP50 and 1.8 of mAP@[.5:.95] (3 seeds, each behind). Turn it on where mirrored objects keep their class and it measures better on your data.
    /// </summary>
    public bool HorizontalFlip { get; set; } = CspDefaults.DetectorHorizontalFlip;

    /// <summary>
    /// Share of training images (0..1) built as a mosaic: four training images of the batch around a random centre of a
    /// canvas twice the input size, then scaled and translated into the input (YOLOv4's mosaic). 0 turns it off.
    /// </summary>
    public double Mosaic { get; set; } = CspDefaults.DetectorMosaic;

    /// <summary>The last epochs train without mosaic, on whole images (still scaled and translated), so the detector ends on the images' own statistics.</summary>
    public int CloseMosaicEpochs { get; set; } = CspDefaults.DetectorCloseMosaicEpochs;

    /// <summary>Random scale of training images: a factor drawn from [1 - x, 1 + x], about the image's centre; 0 turns it off.</summary>
    public double ScaleJitter { get; set; } = CspDefaults.DetectorScaleJitter;

    /// <summary>Random translation of training images, up to this fraction of the input size each way; 0 turns it off.</summary>
    public double Translate { get; set; } = CspDefaults.DetectorTranslate;

    /// <summary>Hue jitter: colours rotated by up to this fraction of a full turn; 0 turns it off.</summary>
    public double HueJitter { get; set; } = CspDefaults.DetectorHueJitter;

    /// <summary>Saturation jitter: saturation scaled by a gain drawn from [1 - x, 1 + x]; 0 turns it off.</summary>
    public double SaturationJitter { get; set; } = CspDefaults.DetectorSaturationJitter;

    /// <summary>Brightness (HSV value) jitter: pixels scaled by a gain drawn from [1 - x, 1 + x]; 0 turns it off.</summary>
    public double ValueJitter { get; set; } = CspDefaults.DetectorValueJitter;

    /// <summary>
    /// Anchor priors as width, height pairs in input pixels (18 values); null clusters the training boxes (k-means with
    /// 1 - IoU, seeded), falling back to YOLOv3's COCO anchors when there are fewer than 9 distinct box sizes.
    /// </summary>
    public float[]? Anchors { get; set; }

    /// <summary>Box regression loss.</summary>
    public BoxLossKind BoxLoss { get; set; } = BoxLossKind.CIoU;

    /// <summary>Weight of the class term of the loss, against 1 for the box and objectness terms.</summary>
    public double ClassLossWeight { get; set; } = CspDefaults.DetectorClassLossWeight;

    /// <summary>Lowest score a detection is reported with.</summary>
    public float ScoreThreshold { get; set; } = CspDefaults.DetectionScoreThreshold;

    /// <summary>NMS: a detection overlapping a better one of its class by more than this IoU is dropped.</summary>
    public float IouThreshold { get; set; } = CspDefaults.DetectionIouThreshold;

    /// <summary>Most detections reported per image.</summary>
    public int MaxDetections { get; set; } = CspDefaults.MaxDetections;

    /// <summary>Called after every epoch (with the validation data's COCO metrics when there is validation data).</summary>
    public Action<CspDetectionEpochMetrics>? MetricsCallback { get; set; }

    /// <summary>The augmentation settings as the layout applies them.</summary>
    internal DetectionAugmentationSettings Augmentation() =>
        new(Mosaic, CloseMosaicEpochs, ScaleJitter, Translate, HueJitter, SaturationJitter, ValueJitter, HorizontalFlip);

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
        if (!(ClassLossWeight > 0) || !double.IsFinite(ClassLossWeight)) throw new ArgumentOutOfRangeException(nameof(ClassLossWeight), ClassLossWeight, "ClassLossWeight must be positive.");
        if (!(Mosaic >= 0 && Mosaic <= 1)) throw new ArgumentOutOfRangeException(nameof(Mosaic), Mosaic, "Mosaic is a share of the images, in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfNegative(CloseMosaicEpochs, nameof(CloseMosaicEpochs));
        if (!(ScaleJitter >= 0 && ScaleJitter < 1)) throw new ArgumentOutOfRangeException(nameof(ScaleJitter), ScaleJitter, "ScaleJitter must be in [0, 1): scales are drawn from [1 - x, 1 + x].");
        if (!(Translate >= 0 && Translate <= 0.5)) throw new ArgumentOutOfRangeException(nameof(Translate), Translate, "Translate must be in [0, 0.5].");
        foreach (var (name, value) in new[] { (nameof(HueJitter), HueJitter), (nameof(SaturationJitter), SaturationJitter), (nameof(ValueJitter), ValueJitter) })
            if (!(value >= 0 && value <= 1)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1].");
        if (Anchors is not null)
        {
            if (Anchors.Length != 18) throw new ArgumentException($"Anchors needs 9 width, height pairs (18 values); got {Anchors.Length}.", nameof(Anchors));
            if (Anchors.Any(a => !(a > 0) || !float.IsFinite(a))) throw new ArgumentOutOfRangeException(nameof(Anchors), "Anchor sizes must be finite and positive.");
        }
    }
}
