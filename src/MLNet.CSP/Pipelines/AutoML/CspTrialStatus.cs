namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>What became of a trial.</summary>
public enum CspTrialStatus
{
    /// <summary>Started; reported through the progress callback only.</summary>
    Running,
    /// <summary>Finished and evaluated (and, for a rung, promoted or at the last rung).</summary>
    Completed,
    /// <summary>Finished and evaluated, then not promoted to the next rung by successive halving.</summary>
    Pruned,
    /// <summary>Threw (out of memory, a diverging loss, a head that failed); recorded, the search went on.</summary>
    Failed,
    /// <summary>Stopped by the time budget or the caller's cancellation before it finished.</summary>
    Cancelled,
    /// <summary>Not started: its estimated cost exceeded the time left.</summary>
    NotStarted,
}
