namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>What a search returns: the best model, its trial and every trial.</summary>
public sealed class CspExperimentResult
{
    internal CspExperimentResult(ITransformer model, CspTrialResult bestTrial, IReadOnlyList<CspTrialResult> trials, TimeSpan elapsed,
        bool cancelled, string? trialHistoryPath)
    {
        Model = model;
        BestTrial = bestTrial;
        Trials = trials;
        Elapsed = elapsed;
        Cancelled = cancelled;
        TrialHistoryPath = trialHistoryPath;
    }

    /// <summary>
    /// The best trial's fitted model, from the experiment's input columns to <c>Score</c> and <c>PredictedLabel</c> (a key; a label
    /// column that was not a key is mapped by a <c>MapValueToKey</c> step inside the model). Saves with <c>mlContext.Model.Save</c>.
    /// </summary>
    public ITransformer Model { get; }

    /// <summary>The trial <see cref="Model"/> comes from.</summary>
    public CspTrialResult BestTrial { get; }

    /// <summary>Every trial in the order they ended (rungs and heads separately).</summary>
    public IReadOnlyList<CspTrialResult> Trials { get; }

    /// <summary>Wall-clock time of the search.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Whether the caller's cancellation ended the search (the best model so far is returned).</summary>
    public bool Cancelled { get; }

    /// <summary>The trial history CSV (in the checkpoint directory), or null without one.</summary>
    public string? TrialHistoryPath { get; }
}
