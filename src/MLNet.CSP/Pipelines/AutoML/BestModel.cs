namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>The best trial so far and its fitted model; models it replaces are disposed (their libtorch memory freed).</summary>
internal sealed class BestModel(CspSearchMetric metric) : IDisposable
{
    private IDisposable[] owned = [];

    public CspTrialResult? Trial { get; private set; }

    /// <summary>Null when the best trial was read back from the history (rebuilt at the end).</summary>
    public ITransformer? Model { get; private set; }

    public double Score { get; private set; } = double.NegativeInfinity;

    /// <summary>Higher is better: accuracies as they are, the log-loss negated.</summary>
    public double ScoreOf(CspTrialResult trial) => trial.Metric is double m && double.IsFinite(m)
        ? (metric == CspSearchMetric.LogLoss ? -m : m)
        : double.NegativeInfinity;

    public bool Beats(CspTrialResult trial) => Trial is not null && ScoreOf(trial) <= Score;

    /// <summary>Takes the trial when it is better (returns true; the model and <paramref name="parts"/> now belong here).</summary>
    public bool Offer(CspTrialResult trial, ITransformer? model, params IDisposable[] parts)
    {
        if (Beats(trial) || double.IsNegativeInfinity(ScoreOf(trial))) return false;
        foreach (var old in owned.Except(parts)) old.Dispose();
        (Trial, Model, Score, owned) = (trial, model, ScoreOf(trial), parts);
        return true;
    }

    /// <summary>Gives the best trial (read back from the history) its rebuilt model.</summary>
    public void Attach(ITransformer model, params IDisposable[] parts)
    {
        Model = model;
        owned = parts;
    }

    public bool Owns(IDisposable part) => owned.Contains(part);

    /// <summary>Hands the model to the caller: it is no longer disposed here.</summary>
    public void Release() => owned = [];

    public void Dispose()
    {
        foreach (var part in owned) part.Dispose();
        owned = [];
    }
}
