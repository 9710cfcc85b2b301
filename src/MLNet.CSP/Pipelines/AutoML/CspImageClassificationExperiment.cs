namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// A time-budgeted search over CSP backbones and training settings for image classification, shaped like ML.NET's
/// <c>AutoMLExperiment</c>: set the data, the budget, the metric and optionally the search space, then <see cref="RunAsync"/>.
/// The default strategy featurizes once per architecture and image size and ranks ML.NET heads on the features, then
/// fine-tunes the best candidates by successive halving over epochs. Trials that fail are recorded and the search goes on.
/// </summary>
public sealed class CspImageClassificationExperiment
{
    private readonly MLContext ml;
    private readonly CspImageClassificationExperimentOptions options;
    private SearchSpaceSampler space = SearchSpaceSampler.Default;
    private IDataView? train, validation;
    private IProgress<CspTrialResult>? progress;
    private int running;

    internal CspImageClassificationExperiment(MLContext ml, CspImageClassificationExperimentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.ml = ml;
        this.options = options.Clone(); // the caller's object is left alone; Set* change this copy
    }

    /// <summary>Training and validation data (same columns); the search ranks trials on <paramref name="validationData"/>.</summary>
    public CspImageClassificationExperiment SetDataset(IDataView trainData, IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(validationData);
        CheckColumns(trainData.Schema, nameof(trainData));
        CheckColumns(validationData.Schema, nameof(validationData));
        var (trainLabel, validationLabel) = (trainData.Schema[options.LabelColumnName].Type, validationData.Schema[options.LabelColumnName].Type);
        if (!trainLabel.Equals(validationLabel))
            throw new ArgumentOutOfRangeException(nameof(validationData), $"Schema mismatch for label column '{options.LabelColumnName}': expected {trainLabel} (as in the training data), got {validationLabel}");
        (train, validation) = (trainData, validationData);
        return this;
    }

    /// <summary>One data set; <paramref name="validationFraction"/> of its rows (seeded) are held out for validation.</summary>
    public CspImageClassificationExperiment SetDataset(IDataView data, double validationFraction = CspDefaults.SearchValidationFraction)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(validationFraction > 0 && validationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Must be in (0, 1).");
        CheckColumns(data.Schema, nameof(data));
        options.ValidationFraction = validationFraction;
        (train, validation) = (data, null);
        return this;
    }

    /// <summary>Wall-clock budget of the search, in seconds.</summary>
    public CspImageClassificationExperiment SetTrainingTimeInSeconds(uint seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1u, nameof(seconds));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, CspImageClassificationExperimentOptions.MaxTrainingTimeInSeconds, nameof(seconds));
        options.TrainingTimeInSeconds = seconds;
        return this;
    }

    /// <summary>The metric to optimise (micro accuracy by default).</summary>
    public CspImageClassificationExperiment SetOptimizingMetric(CspSearchMetric metric)
    {
        if (!Enum.IsDefined(metric)) throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric.");
        options.Metric = metric;
        return this;
    }

    /// <summary>
    /// Searches the ranges and choices declared on <typeparamref name="T"/> with ML.NET's <c>Range</c>, <c>Choice</c> and
    /// <c>BooleanChoice</c> attributes (properties named as on <see cref="CspImageClassificationSearchSpace"/>; others keep its
    /// defaults). Throws naming a property that is not searchable or a value that is invalid.
    /// </summary>
    public CspImageClassificationExperiment SetSearchSpace<T>() where T : class
    {
        space = SearchSpaceSampler.For(typeof(T));
        return this;
    }

    /// <summary>How the budget is spent (two stages by default; the others are the baselines of docs/benchmarks.md).</summary>
    public CspImageClassificationExperiment SetStrategy(CspSearchStrategy strategy)
    {
        if (!Enum.IsDefined(strategy)) throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown strategy.");
        options.Strategy = strategy;
        return this;
    }

    /// <summary>Seed of the sampler and of every trial.</summary>
    public CspImageClassificationExperiment SetSeed(int seed)
    {
        options.Seed = seed;
        return this;
    }

    /// <summary>Where the trial history CSV and the checkpoints go; a later run with the same directory resumes from them.</summary>
    public CspImageClassificationExperiment SetCheckpointDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options.CheckpointDirectory = directory;
        return this;
    }

    /// <summary>
    /// Receives every trial when it starts (<see cref="CspTrialStatus.Running"/>), when it ends, and again when successive
    /// halving marks it <see cref="CspTrialStatus.Pruned"/>; called on the search's thread.
    /// </summary>
    public CspImageClassificationExperiment SetProgress(IProgress<CspTrialResult> trialProgress)
    {
        progress = trialProgress ?? throw new ArgumentNullException(nameof(trialProgress));
        return this;
    }

    /// <summary>
    /// Runs the search on a dedicated thread until the budget is spent (a running trial is stopped at the deadline) or
    /// <paramref name="cancellationToken"/> is cancelled, and returns the best model so far. Throws
    /// <see cref="TimeoutException"/> when no trial finished in time, <see cref="OperationCanceledException"/> when cancelled
    /// before one finished, and <see cref="InvalidOperationException"/> (with the first error) when every trial failed.
    /// </summary>
    public Task<CspExperimentResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (train is null) throw new InvalidOperationException("Call SetDataset before RunAsync.");
        var settings = options.Clone(); // Set* calls during the run do not reach it
        settings.Validate();
        if (Interlocked.Exchange(ref running, 1) == 1)
            throw new InvalidOperationException("This experiment is already running; create another one (with another checkpoint directory) to search in parallel.");
        var run = new ExperimentRun(ml, settings, space, train, validation, progress, cancellationToken);
        return Task.Factory.StartNew(() =>
        {
            try
            {
                return run.Run();
            }
            finally
            {
                Volatile.Write(ref running, 0);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default); // the run watches the token itself; it must start to clear 'running'
    }

    private void CheckColumns(DataViewSchema schema, string parameter)
    {
        ImageColumn.Check(schema, options.ImageColumnName);
        if (schema.GetColumnOrNull(options.LabelColumnName) is null)
            throw new ArgumentOutOfRangeException(parameter, $"Could not find label column '{options.LabelColumnName}'");
    }
}
