namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.CspImageClassification</c>: the network settings of
/// <see cref="CspNetworkOptions"/>, the training settings every trainer shares (<see cref="CspTrainingOptions"/>), and the
/// classifier's own below. Every default is in <see cref="CspDefaults"/>.
/// </summary>
public class CspImageClassificationOptions : CspTrainingOptions
{
    /// <summary>Creates the options with the trainer's defaults.</summary>
    public CspImageClassificationOptions()
        : base(CspDefaults.ClassifierArchitecture, CspDefaults.TrainingBatchSize, CspDefaults.LearningRate, CspDefaults.WeightDecay)
    {
    }

    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public double LabelSmoothing { get; set; } = CspDefaults.LabelSmoothing;

    /// <summary>
    /// Training augmentation. <see cref="CspAugmentation.None"/> by default: right for every kind of image (a mirror changes
    /// digits and text) and the most accurate on short budgets (4 epochs: docs/benchmarks.md); for longer runs on photos
    /// <see cref="CspAugmentation.HorizontalFlip"/> or <see cref="CspAugmentation.RandomResizedCropAndFlip"/> usually helps, and
    /// <see cref="CspAugmentation.RandomShift"/> keeps every label.
    /// </summary>
    public CspAugmentation Augmentation { get; set; } = CspDefaults.Augmentation;

    /// <summary>Smallest area fraction of a random resized crop.</summary>
    public double MinCropScale { get; set; } = CspDefaults.MinCropScale;

    /// <summary>What early stopping (and the best epoch) watches.</summary>
    public CspEarlyStoppingMetric EarlyStoppingMetric { get; set; } = CspDefaults.EarlyStoppingMetric;

    /// <summary>Called after every epoch.</summary>
    public Action<CspEpochMetrics>? MetricsCallback { get; set; }

    /// <summary>
    /// Called after each epoch with the current plan in <see cref="CspEpochMetrics.Epochs"/>; a number of epochs it returns
    /// replaces the plan and the learning-rate schedule is stretched or shortened to end with it (an AutoML final fit filling
    /// its time and keeping its deadline). Lengthening applies only to a run that <see cref="CspTrainingOptions.StopAfterEpoch"/> does not end before its schedule does.
    /// </summary>
    internal Func<CspEpochMetrics, int?>? RescheduleAfterEpoch { get; set; }

    internal override void Validate()
    {
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "Must be in [0, 1).");
        if (!(MinCropScale > 0 && MinCropScale <= 1)) throw new ArgumentOutOfRangeException(nameof(MinCropScale), MinCropScale, "Must be in (0, 1].");
        if (!Enum.IsDefined(Augmentation)) throw new ArgumentOutOfRangeException(nameof(Augmentation), Augmentation, "Unknown augmentation.");
        if (!Enum.IsDefined(EarlyStoppingMetric)) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingMetric), EarlyStoppingMetric, "Unknown metric.");
        base.Validate();
    }
}
