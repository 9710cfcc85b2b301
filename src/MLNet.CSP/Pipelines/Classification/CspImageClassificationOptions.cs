
namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.CspImageClassification</c> (the shared network settings are on
/// <see cref="CspNetworkOptions"/>; every default is in <see cref="CspDefaults"/>).
/// </summary>
public class CspImageClassificationOptions : CspNetworkOptions
{
    /// <summary>Creates the options with the trainer's defaults.</summary>
    public CspImageClassificationOptions() : base(CspDefaults.ClassifierArchitecture)
    {
    }

    /// <summary>Key-typed label column (use <c>MapValueToKey</c>).</summary>
    public string LabelColumnName { get; set; } = CspDefaults.LabelColumnName;

    /// <summary>Image column (<c>LoadImages</c> output or encoded bytes).</summary>
    public string ImageColumnName { get; set; } = CspDefaults.ImageColumnName;

    /// <summary>Output: per-class probabilities.</summary>
    public string ScoreColumnName { get; set; } = CspDefaults.ScoreColumnName;

    /// <summary>Output: predicted class, the label's key type.</summary>
    public string PredictedLabelColumnName { get; set; } = CspDefaults.PredictedLabelColumnName;

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = CspDefaults.Epochs;

    /// <summary>Images per optimisation step.</summary>
    public int BatchSize { get; set; } = CspDefaults.TrainingBatchSize;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; set; } = CspDefaults.LearningRate;

    /// <summary>Optimizer.</summary>
    public CspOptimizer Optimizer { get; set; } = CspDefaults.Optimizer;

    /// <summary>Weight decay (decoupled for AdamW).</summary>
    public double WeightDecay { get; set; } = CspDefaults.WeightDecay;

    /// <summary>Learning-rate schedule.</summary>
    public CspLearningRateSchedule Schedule { get; set; } = CspDefaults.Schedule;

    /// <summary>Linear warm-up length in epochs (fractions allowed).</summary>
    public double WarmupEpochs { get; set; } = CspDefaults.WarmupEpochs;

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

    /// <summary>Train the classifier only (backbone frozen, in eval mode).</summary>
    public bool FreezeBackbone { get; set; }

    /// <summary>With <see cref="FreezeBackbone"/>: unfreeze the whole network after this many epochs (null: never).</summary>
    public int? UnfreezeAfterEpochs { get; set; }

    /// <summary>Cache the decoded training images in memory, stream them every epoch, or choose by size (default).</summary>
    public CspCacheMode CacheMode { get; set; } = CspDefaults.CacheMode;

    /// <summary>
    /// Bytes the image cache may take under <see cref="CspCacheMode.Auto"/>; null: <see cref="CspDefaults.CacheMemoryFraction"/> of the
    /// memory available to the process (the machine's, or the container's limit).
    /// </summary>
    public long? CacheMemoryBudgetBytes { get; set; }

    /// <summary>
    /// Threads that decode and resize images ahead of training when streaming; 0 decodes on the training thread before each batch.
    /// Null (default): the cores libtorch's threads leave free, so 0 on a two-core machine training on two threads.
    /// </summary>
    public int? DecodeWorkers { get; set; }

    /// <summary>
    /// When streaming, an image that cannot be read in the middle of an epoch is left out and counted (a warning on ML.NET's log
    /// per epoch, naming the first file) instead of stopping training with an error that names its row and file.
    /// </summary>
    public bool SkipUnreadableImages { get; set; }

    /// <summary>Validation data (same columns as the training data); overrides <see cref="ValidationFraction"/>.</summary>
    public Microsoft.ML.IDataView? ValidationSet { get; set; }

    /// <summary>Share of the training rows held out for validation when no <see cref="ValidationSet"/> is given.</summary>
    public double ValidationFraction { get; set; }

    /// <summary>Stop after this many epochs without improvement (null: never); the best epoch's weights are kept.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>What early stopping watches.</summary>
    public CspEarlyStoppingMetric EarlyStoppingMetric { get; set; } = CspDefaults.EarlyStoppingMetric;

    /// <summary>Called after every epoch.</summary>
    public Action<CspEpochMetrics>? MetricsCallback { get; set; }

    /// <summary>Called after every batch (progress bars).</summary>
    public Action<CspBatchProgress>? BatchCallback { get; set; }

    /// <summary>Stops training between batches (throws <see cref="OperationCanceledException"/>; the last finished epoch is in <see cref="CheckpointDirectory"/>).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Where each finished epoch is saved; a later run with the same directory and options resumes after the last finished epoch.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>
    /// Ends this fit after the given epoch of an <see cref="Epochs"/>-long run (schedule unchanged, and not lengthened by
    /// <see cref="RescheduleAfterEpoch"/> when it ends before the schedule does), with that epoch in
    /// <see cref="CheckpointDirectory"/>: a later fit with a larger value resumes there. Used by the AutoML search's rungs.
    /// </summary>
    internal int? StopAfterEpoch { get; set; }

    /// <summary>
    /// Called after each epoch with the current plan in <see cref="CspEpochMetrics.Epochs"/>; a number of epochs it returns
    /// replaces the plan and the learning-rate schedule is stretched or shortened to end with it (an AutoML final fit filling
    /// its time and keeping its deadline). Lengthening applies only to a run that <see cref="StopAfterEpoch"/> does not end before its schedule does.
    /// </summary>
    internal Func<CspEpochMetrics, int?>? RescheduleAfterEpoch { get; set; }

    /// <summary>Images per forward pass when scoring with the trained model.</summary>
    public int InferenceBatchSize { get; set; } = CspDefaults.InferenceBatchSize;

    internal override void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(LabelColumnName), LabelColumnName), (nameof(ImageColumnName), ImageColumnName),
                     (nameof(ScoreColumnName), ScoreColumnName), (nameof(PredictedLabelColumnName), PredictedLabelColumnName) })
            ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InferenceBatchSize, 1, nameof(InferenceBatchSize));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Must be positive and finite.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Must not be negative.");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "Must be in [0, 1).");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Must be in [0, 1).");
        if (!(MinCropScale > 0 && MinCropScale <= 1)) throw new ArgumentOutOfRangeException(nameof(MinCropScale), MinCropScale, "Must be in (0, 1].");
        if (!(WarmupEpochs >= 0) || !double.IsFinite(WarmupEpochs)) throw new ArgumentOutOfRangeException(nameof(WarmupEpochs), WarmupEpochs, "Must not be negative.");
        if (EarlyStoppingPatience is int patience) ArgumentOutOfRangeException.ThrowIfLessThan(patience, 1, nameof(EarlyStoppingPatience));
        if (StopAfterEpoch is int stop) ArgumentOutOfRangeException.ThrowIfLessThan(stop, 1, nameof(StopAfterEpoch));
        if (UnfreezeAfterEpochs is int unfreeze) ArgumentOutOfRangeException.ThrowIfNegative(unfreeze, nameof(UnfreezeAfterEpochs));
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "Unknown optimizer.");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "Unknown schedule.");
        if (!Enum.IsDefined(Augmentation)) throw new ArgumentOutOfRangeException(nameof(Augmentation), Augmentation, "Unknown augmentation.");
        if (!Enum.IsDefined(CacheMode)) throw new ArgumentOutOfRangeException(nameof(CacheMode), CacheMode, "Unknown cache mode.");
        if (CacheMemoryBudgetBytes is long budget) ArgumentOutOfRangeException.ThrowIfNegative(budget, nameof(CacheMemoryBudgetBytes));
        if (DecodeWorkers is int workers) ArgumentOutOfRangeException.ThrowIfNegative(workers, nameof(DecodeWorkers));
        base.Validate();
    }
}
