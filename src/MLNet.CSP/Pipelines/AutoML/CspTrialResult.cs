namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// One trial of a search: a configuration evaluated at one fidelity (a head on frozen features, or a rung of fine-tuning).
/// Metrics are measured on the validation data; null when the trial did not finish.
/// </summary>
public sealed record CspTrialResult
{
    /// <summary>Trial number; the rungs of one fine-tuning configuration share it.</summary>
    public required int TrialId { get; init; }

    /// <summary>The stage that ran it.</summary>
    public required CspSearchStage Stage { get; init; }

    /// <summary>Successive-halving rung (0 = fewest epochs); null in the first stage and for random search.</summary>
    public int? Rung { get; init; }

    /// <summary>Epochs trained so far (the rung's budget); 0 for a head on frozen features.</summary>
    public int Epochs { get; init; }

    /// <summary>Length of the learning-rate schedule the epochs belong to (a rung's bracket; 0 for a head).</summary>
    public int ScheduleEpochs { get; init; }

    /// <summary>The configuration.</summary>
    public required CspImageClassificationSearchSpace Parameters { get; init; }

    /// <summary>Outcome.</summary>
    public required CspTrialStatus Status { get; init; }

    /// <summary>The optimised metric (see <see cref="CspSearchMetric"/>).</summary>
    public double? Metric { get; init; }

    /// <summary>Validation micro accuracy.</summary>
    public double? MicroAccuracy { get; init; }

    /// <summary>Validation macro accuracy.</summary>
    public double? MacroAccuracy { get; init; }

    /// <summary>Validation log-loss.</summary>
    public double? LogLoss { get; init; }

    /// <summary>Wall-clock time of this trial (featurization counts in its architecture's first head).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Seconds since the experiment started when the trial ended.</summary>
    public double EndedAtSeconds { get; init; }

    /// <summary>Largest working set of the process sampled while the trial ran, in bytes.</summary>
    public long PeakMemoryBytes { get; init; }

    /// <summary>Why it failed, was cancelled or not started.</summary>
    public string? Error { get; init; }

    /// <summary>Read back from the trial history of an earlier run instead of being run again.</summary>
    public bool FromHistory { get; init; }

    /// <summary>Whether successive halving stopped it here.</summary>
    public bool Pruned => Status == CspTrialStatus.Pruned;

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"#{TrialId} {Stage}{(Rung is int r ? $" rung {r}" : "")} {Status} {Parameters} epochs={Epochs} metric={Metric:F4} {Duration.TotalSeconds:F1}s");
}
