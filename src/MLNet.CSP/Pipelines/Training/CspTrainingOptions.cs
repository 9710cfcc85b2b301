namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// What every MLNet.CSP trainer shares (the image classifier and the object detector): the columns, the optimisation and its
/// schedule, validation and early stopping, checkpoints and resume, the image cache, cancellation. Each setting means the same
/// in every trainer and is checked once, when the estimator is created; defaults are in <see cref="CspDefaults"/>.
/// </summary>
public abstract class CspTrainingOptions : CspNetworkOptions
{
    /// <summary>Creates the options with a trainer's defaults.</summary>
    private protected CspTrainingOptions(string architecture, int batchSize, double learningRate, double weightDecay) : base(architecture)
    {
        BatchSize = batchSize;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
    }

    /// <summary>Input image column (<c>LoadImages</c> output or encoded bytes).</summary>
    public string ImageColumnName { get; set; } = CspDefaults.ImageColumnName;

    /// <summary>Input: the key-typed label column (use <c>MapValueToKey</c>).</summary>
    public string LabelColumnName { get; set; } = CspDefaults.LabelColumnName;

    /// <summary>Output: the score column.</summary>
    public string ScoreColumnName { get; set; } = CspDefaults.ScoreColumnName;

    /// <summary>Output: the predicted label column, the label's key type.</summary>
    public string PredictedLabelColumnName { get; set; } = CspDefaults.PredictedLabelColumnName;

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = CspDefaults.Epochs;

    /// <summary>Images per optimisation step.</summary>
    public int BatchSize { get; set; }

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; set; }

    /// <summary>Optimizer.</summary>
    public CspOptimizer Optimizer { get; set; } = CspDefaults.Optimizer;

    /// <summary>Weight decay (decoupled for AdamW).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Learning-rate schedule after the warm-up.</summary>
    public CspLearningRateSchedule Schedule { get; set; } = CspDefaults.Schedule;

    /// <summary>Linear warm-up length in epochs (fractions allowed).</summary>
    public double WarmupEpochs { get; set; } = CspDefaults.WarmupEpochs;

    /// <summary>
    /// Bias warm-up: during the warm-up the biases' learning rate moves linearly from this value down to the schedule's while the
    /// other parameters' rises from 0 (Ultralytics' <c>warmup_bias_lr</c>: 0.1 in its defaults, set to 0 when its optimizer is
    /// chosen automatically). Default 0: biases warm up like the other parameters (measured on the digit canvases with AdamW
    /// at 0.01: no gain). Needs <see cref="WarmupEpochs"/> &gt; 0. Biases keep the weight decay of the other parameters unless
    /// <see cref="ExemptNormAndBiasFromWeightDecay"/>.
    /// </summary>
    public double WarmupBiasLearningRate { get; set; } = CspDefaults.WarmupBiasLearningRate;

    /// <summary>
    /// No weight decay on one-dimensional parameters (normalisation weights and biases), as timm's and Ultralytics' optimizers
    /// group them; convolution and linear weights keep <see cref="WeightDecay"/>.
    /// </summary>
    public bool ExemptNormAndBiasFromWeightDecay { get; set; } = CspDefaults.ExemptNormAndBiasFromWeightDecay;

    /// <summary>Train the task's head only (the backbone frozen, in eval mode).</summary>
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

    /// <summary>Validation data (same columns as the training data), scored after every epoch; overrides <see cref="ValidationFraction"/>.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Share of the training rows held out (seeded) for validation when no <see cref="ValidationSet"/> is given.</summary>
    public double ValidationFraction { get; set; }

    /// <summary>
    /// Stop after this many epochs without a better validation score (the training score without validation data; null: never);
    /// the best epoch's weights are then the model, and the epoch metrics say which epoch that was.
    /// </summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>
    /// Whether the model is the best epoch's weights (by the validation score; the training score without validation data)
    /// instead of the last epoch's. Null (default): yes with <see cref="EarlyStoppingPatience"/>, and for the detector whenever it
    /// has validation data (the epoch with the best validation mAP@[.5:.95], as detection trainers keep <c>best.pt</c>).
    /// </summary>
    public bool? KeepBestEpoch { get; set; }

    /// <summary>
    /// Keep an exponential moving average of the weights (and normalisation statistics) with this decay, ramped up over the first
    /// 2,000 steps; validation, the best epoch and the trained model use the average (without validation data the best epoch is
    /// chosen on the training loss and its average kept). 0 turns it off. Null (default): the detector averages
    /// (<see cref="CspDefaults.DetectorEmaDecay"/>), the classifier does not.
    /// </summary>
    public double? EmaDecay { get; set; }

    /// <summary>Called after every batch (progress bars).</summary>
    public Action<CspBatchProgress>? BatchCallback { get; set; }

    /// <summary>
    /// Stops training between batches by throwing <see cref="OperationCanceledException"/> (as ML.NET's own trainers do when
    /// cancelled); the last finished epoch is kept in <see cref="CheckpointDirectory"/>, and a later fit resumes there.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Where each finished epoch is saved; a later fit with the same directory, data and options resumes after the last finished
    /// epoch and ends with the weights an uninterrupted run with the same seed ends with.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Images per forward pass when scoring with the trained model.</summary>
    public int InferenceBatchSize { get; set; } = CspDefaults.InferenceBatchSize;

    /// <summary>
    /// Ends this fit after the given epoch of an <see cref="Epochs"/>-long run (schedule unchanged), with that epoch in
    /// <see cref="CheckpointDirectory"/>: a later fit with a larger value resumes there. Used by the AutoML search's rungs.
    /// </summary>
    internal int? StopAfterEpoch { get; set; }

    /// <summary>Where epoch and throughput times come from (the system's; an AutoML search passes its own clock).</summary>
    internal TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>The option values that identify a run for resuming (with the data and the task's own settings).</summary>
    internal string TrainingFingerprint() => string.Join("|", Epochs, BatchSize, LearningRate, Optimizer, WeightDecay, Schedule, WarmupEpochs,
        FreezeBackbone, UnfreezeAfterEpochs) + (WarmupBiasLearningRate > 0 ? FormattableString.Invariant($"|bias warm-up {WarmupBiasLearningRate:R}") : "")
        + (ExemptNormAndBiasFromWeightDecay ? "|no decay on 1-D" : "");

    internal override void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(LabelColumnName), LabelColumnName), (nameof(ImageColumnName), ImageColumnName),
                     (nameof(ScoreColumnName), ScoreColumnName), (nameof(PredictedLabelColumnName), PredictedLabelColumnName) })
            ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InferenceBatchSize, 1, nameof(InferenceBatchSize));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive and finite.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be finite and not negative.");
        if (EmaDecay is double ema && !(ema >= 0 && ema < 1)) throw new ArgumentOutOfRangeException(nameof(EmaDecay), ema, "EmaDecay must be in [0, 1) (0 turns the average off).");
        if (!(WarmupBiasLearningRate >= 0) || !double.IsFinite(WarmupBiasLearningRate))
            throw new ArgumentOutOfRangeException(nameof(WarmupBiasLearningRate), WarmupBiasLearningRate, "WarmupBiasLearningRate must be finite and not negative.");
        if (!(WarmupEpochs >= 0) || !double.IsFinite(WarmupEpochs)) throw new ArgumentOutOfRangeException(nameof(WarmupEpochs), WarmupEpochs, "WarmupEpochs must be finite and not negative.");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in [0, 1).");
        if (EarlyStoppingPatience is int patience) ArgumentOutOfRangeException.ThrowIfLessThan(patience, 1, nameof(EarlyStoppingPatience));
        if (StopAfterEpoch is int stop) ArgumentOutOfRangeException.ThrowIfLessThan(stop, 1, nameof(StopAfterEpoch));
        if (UnfreezeAfterEpochs is int unfreeze) ArgumentOutOfRangeException.ThrowIfNegative(unfreeze, nameof(UnfreezeAfterEpochs));
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "Unknown optimizer.");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "Unknown schedule.");
        if (!Enum.IsDefined(CacheMode)) throw new ArgumentOutOfRangeException(nameof(CacheMode), CacheMode, "Unknown cache mode.");
        if (CacheMemoryBudgetBytes is long budget) ArgumentOutOfRangeException.ThrowIfNegative(budget, nameof(CacheMemoryBudgetBytes));
        if (DecodeWorkers is int workers) ArgumentOutOfRangeException.ThrowIfNegative(workers, nameof(DecodeWorkers));
        base.Validate();
    }
}
