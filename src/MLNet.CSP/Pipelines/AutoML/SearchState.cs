using System.Text;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>What the stages of one search share: data, budget, costs, the trials so far, the best model, the history file and the log.</summary>
internal sealed class SearchState(MLContext ml, CspImageClassificationExperimentOptions options, SearchSpaceSampler space, SearchData data,
    SearchClock clock, int seed, string workDirectory, TrialHistory? history, IProgress<CspTrialResult>? progress, IChannel log)
{
    private readonly List<CspTrialResult> trials = [];
    private int nextTrialId;

    public MLContext ML => ml;
    public CspImageClassificationExperimentOptions Options => options;
    public SearchSpaceSampler Space => space;
    public SearchData Data => data;
    public SearchClock Clock => clock;
    public int Seed => seed;
    public string WorkDirectory => workDirectory;
    public TrialHistory? History => history;
    public CostModel Costs { get; } = new(data.TrainRows, data.ValidationRows);
    public BestModel Best { get; } = new(options.Metric);
    public IReadOnlyList<CspTrialResult> Trials => trials;

    public int NextTrialId() => ++nextTrialId;

    /// <summary>Where the best model so far is saved when the search has a checkpoint directory, and the key of its trial.</summary>
    public string BestModelPath => Path.Combine(workDirectory, "best-model.zip");

    private string BestKeyPath => Path.Combine(workDirectory, "best-model.key");

    /// <summary>The key of a trial: stage, epochs, schedule and settings.</summary>
    public static string KeyOf(CspTrialResult trial) => TrialHistory.Key(trial.Stage, trial.Epochs, trial.ScheduleEpochs, trial.Parameters);

    /// <summary>Whether best-model.zip holds this trial's model (saved by an earlier run of the same experiment).</summary>
    public bool SavedModelIs(CspTrialResult trial) =>
        history is not null && File.Exists(BestModelPath) && File.Exists(BestKeyPath) && File.ReadAllText(BestKeyPath) == history.Experiment + "\n" + KeyOf(trial);

    /// <summary>Offers a trial to <see cref="Best"/>; a new best is also saved to best-model.zip when there is a checkpoint directory.</summary>
    public bool OfferBest(CspTrialResult trial, ITransformer? model, params IDisposable[] parts)
    {
        if (!Best.Offer(trial, model, parts)) return false;
        if (history is null || model is null) return true;
        try
        {
            AtomicFile.Write(BestModelPath, stream =>
            {
                ml.Model.Save(model, data.Train.Schema, stream);
                return 0;
            });
            AtomicFile.WriteAllText(BestKeyPath, history.Experiment + "\n" + KeyOf(trial));
        }
        catch (Exception e) when (!IsCancellation(e)) // the trial and its model are kept; only the copy on disk is missing
        {
            Warn($"Could not save the best model to {BestModelPath}: {Describe(e)}");
        }
        return true;
    }

    public void Warn(string message)
    {
        lock (log) log.Warning(message);
    }

    /// <summary>The metric the search optimises, from ML.NET's multiclass metrics.</summary>
    public double MetricOf(MulticlassClassificationMetrics m) => options.Metric switch
    {
        CspSearchMetric.MacroAccuracy => m.MacroAccuracy,
        CspSearchMetric.LogLoss => m.LogLoss,
        _ => m.MicroAccuracy,
    };

    /// <summary>Reports a trial that starts.</summary>
    public void Started(CspTrialResult trial) => Report(trial);

    /// <summary>Records a trial that ended: the list, the history file, the progress callback and ML.NET's log.</summary>
    public CspTrialResult Record(CspTrialResult trial)
    {
        trial = trial with { EndedAtSeconds = clock.ElapsedSeconds };
        trials.Add(trial);
        Ended(trial);
        return trial;
    }

    /// <summary>Replaces a recorded trial (successive halving marks the ones it does not promote as pruned).</summary>
    public CspTrialResult Replace(CspTrialResult old, CspTrialResult updated)
    {
        int i = trials.IndexOf(old);
        if (i < 0) throw new InvalidOperationException("Unknown trial.");
        trials[i] = updated;
        Ended(updated);
        return updated;
    }

    public void Info(string message)
    {
        lock (log) log.Info(message);
    }

    /// <summary>A trial's own MLContext, its info and warnings (epochs, how images are held, resuming) forwarded to the search's log.</summary>
    public MLContext TrialContext(int trialSeed, int trialId)
    {
        var context = new MLContext(trialSeed);
        context.Log += (_, e) =>
        {
            if (e.Kind is ChannelMessageKind.Info or ChannelMessageKind.Warning)
                Info(FormattableString.Invariant($"trial #{trialId}: {e.RawMessage}"));
        };
        return context;
    }

    /// <summary>A seed for a trial from the experiment's seed and the trial's settings (stable across processes).</summary>
    public int TrialSeed(string key)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(key + "|" + seed)) hash = (hash ^ b) * 16777619;
        return (int)(hash & 0x7FFFFFFF);
    }

    /// <summary>
    /// Whether an exception is a cancellation: ML.NET trainers that work in parallel (FastTree) throw an
    /// <see cref="AggregateException"/> of them when their MLContext is cancelled.
    /// </summary>
    public static bool IsCancellation(Exception e) => e switch
    {
        OperationCanceledException => true,
        AggregateException a => a.Flatten().InnerExceptions.All(i => i is OperationCanceledException),
        _ => false,
    };

    /// <summary>An exception's message for the history: the first inner one of an aggregate, at most 500 characters.</summary>
    public static string Describe(Exception e)
    {
        var shown = e is AggregateException a && a.Flatten().InnerExceptions.Count > 0 ? a.Flatten().InnerExceptions[0] : e;
        string message = shown.Message.ReplaceLineEndings(" ");
        return message.Length <= 500 ? message : message[..497] + "...";
    }

    private void Ended(CspTrialResult trial)
    {
        try
        {
            history?.Write(trials);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warn($"Could not write the trial history {history!.Path} (the search goes on): {e.Message}");
        }
        Report(trial);
        Info(trial.ToString() + (trial.Error is null ? "" : ": " + trial.Error));
    }

    /// <summary>The caller's progress handler; one that throws is named in a warning and does not end the search.</summary>
    private void Report(CspTrialResult trial)
    {
        try
        {
            progress?.Report(trial);
        }
        catch (Exception e)
        {
            Warn($"The progress handler threw on trial #{trial.TrialId} (the search goes on): {Describe(e)}");
        }
    }
}
