using System.Diagnostics;
using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The second stage: fine-tuning trials of <c>CspImageClassification</c>, either by successive halving over epochs (brackets
/// planned to fit the time left; every trial scheduled for the bracket's last rung, promoted trials resuming from their own
/// checkpoint) or, as a baseline, random search with full-length trials. A trial-rung whose estimated cost exceeds the time
/// left is not started; a trial that fails is recorded and the search goes on.
/// </summary>
internal sealed class FineTuneStage(SearchState state, IReadOnlyList<(string Architecture, int Size)> ranking)
{
    private const int MaxTrials = 1000;

    /// <summary>Random search stops after this many drawn configurations in a row did not fit the time left.</summary>
    private const int MaxConsecutiveMisses = 25;

    /// <summary>Settings and schedule of every configuration started: a duplicate would share (and overrun) another's checkpoint.</summary>
    private readonly HashSet<string> started = [];

    /// <summary>Draws configurations; a second call of <see cref="RunSuccessiveHalving"/> continues its sequence.</summary>
    private readonly Random random = new(state.Seed);

    /// <summary>The first bracket starts with the initial configuration (the trainer's defaults) on stage 1's best architecture.</summary>
    private bool firstBracket = true;

    private sealed record Candidate(int Id, CspImageClassificationSearchSpace Parameters, CspTrialResult? Last = null);

    /// <summary>
    /// Brackets until the stage's time is spent. With <paramref name="finalFitFollows"/>, a later bracket that would hold a single
    /// configuration (it compares nothing) is not started: its time goes to the final fit.
    /// </summary>
    public void RunSuccessiveHalving(bool finalFitFollows = false)
    {
        int eta = state.Options.ReductionFactor;
        while (!state.Clock.Expired && state.Trials.Count < MaxTrials)
        {
            var top = ranking.Count > 0 ? ranking[0] : (state.Space.Initial.Architecture, state.Space.Initial.ImageSize);
            // Sized for the costliest architecture the candidates are drawn from (the ranking's first three), trained, not frozen.
            var costs = (ranking.Count > 0 ? ranking.Take(3).ToList() : [top]).Select(c => RungCost(c, frozen: false)).ToList();
            double perEpoch = costs.Max(c => c.PerEpoch), perTrial = costs.Max(c => c.PerTrial);
            var plan = SuccessiveHalving.Plan(eta, SuccessiveHalving.DefaultHalvings, state.Options.MaxEpochs, perEpoch, perTrial, state.Clock.SecondsLeft);
            if (plan is not var (s, minEpochs))
            {
                state.Info(FormattableString.Invariant($"Fine-tuning: no bracket fits the {state.Clock.SecondsLeft:F0} s left (an epoch of {top.Item1} at {top.Item2} px is estimated at {perEpoch:F0} s, plus {perTrial:F0} s per trial)."));
                break;
            }
            if (finalFitFollows && firstBracket && s == 0 && minEpochs > SuccessiveHalving.PreferredMinEpochs)
            {
                // One configuration compares nothing: a short rung measures it (and the costs), and the rest of the time goes to
                // the final fit, which trains it longer on all the images. Filling the stage instead (full Fashion-MNIST: a
                // 5-epoch rung in 340-370 s) left the final fit too little time to train it again.
                state.Info(FormattableString.Invariant($"Fine-tuning: the {state.Clock.SecondsLeft:F0} s left hold a single configuration; it runs {SuccessiveHalving.PreferredMinEpochs} of the {minEpochs} epochs that fit, the rest goes to the final fit."));
                minEpochs = SuccessiveHalving.PreferredMinEpochs;
            }
            if (finalFitFollows && !firstBracket && s == 0)
            {
                state.Info(FormattableString.Invariant($"Fine-tuning: the {state.Clock.SecondsLeft:F0} s left hold a single configuration; they go to the final fit."));
                break;
            }
            int configurations = SuccessiveHalving.Survivors(eta, s)[0];
            int schedule = SuccessiveHalving.Rungs(eta, s, minEpochs)[^1];
            var candidates = new List<Candidate>();
            for (int i = 0; i < configurations; i++)
                if (Unique(firstBracket && i == 0 ? WithCombo(state.Space.Initial.Clone(), top) : null, schedule) is { } p)
                    candidates.Add(new Candidate(state.NextTrialId(), p));
            if (candidates.Count == 0)
            {
                state.Info("Fine-tuning: the search space has no configuration left that was not tried with this schedule.");
                break;
            }
            firstBracket = false;
            state.Info(FormattableString.Invariant($"Fine-tuning bracket: {configurations} configurations, rungs of {string.Join("/", SuccessiveHalving.Rungs(eta, s, minEpochs))} epochs, about {SuccessiveHalving.Epochs(eta, s, minEpochs) * perEpoch + SuccessiveHalving.TrialRungs(eta, s) * perTrial:F0} s."));
            RunBracket(candidates, eta, s, minEpochs);
        }
    }

    public void RunRandomSearch()
    {
        int epochs = state.Options.MaxEpochs ?? CspDefaults.Epochs, misses = 0;
        bool first = true;
        // A drawn configuration that does not fit the time left is skipped (NotStarted, no cost); smaller ones may still fit.
        while (!state.Clock.Expired && misses < MaxConsecutiveMisses && state.Trials.Count < MaxTrials)
        {
            var p = Unique(first ? state.Space.Initial.Clone() : null, epochs, sampleCombo: false);
            first = false;
            if (p is null) break;
            var candidate = new Candidate(state.NextTrialId(), p);
            var result = MeasuredFirst(candidate, epochs) ?? RunTrial(candidate, epochs, epochs, rung: null, previousEpochs: 0);
            misses = result?.Status == CspTrialStatus.NotStarted ? misses + 1 : 0;
        }
    }

    /// <summary>
    /// A configuration whose cost is not measured on its own architecture and size yet (scaled from a forward pass or another
    /// combination, which can be off by 2x either way: on 48,000 images a forward-pass estimate ended a 15-minute random
    /// search in 3 s, and another let a 10-epoch trial start that the deadline stopped, leaving no model): its first epoch
    /// runs as a measuring rung, then the trial continues from its checkpoint if the measured cost fits, so a wrong estimate
    /// costs at most that trial's rest. Null when the cost is measured already.
    /// </summary>
    private CspTrialResult? MeasuredFirst(Candidate candidate, int epochs)
    {
        var p = candidate.Parameters;
        if (epochs < 2 || state.History?.Find(CspSearchStage.FineTune, epochs, epochs, p) is not null) return null;
        double estimate = EstimatedSeconds(p, epochs);
        if (state.Costs.RungMeasured((p.Architecture, p.ImageSize), p.FreezeBackbone)) return null;
        state.Info(FormattableString.Invariant($"{p}: {epochs} epochs are estimated at {estimate:F0} s, not measured on {p.Architecture} at {p.ImageSize} px; its first epoch measures the cost."));
        var first = RunTrial(candidate, epochs, 1, rung: 0, previousEpochs: 0);
        return first is { Status: CspTrialStatus.Completed } ? RunTrial(candidate, epochs, epochs, rung: null, previousEpochs: 1) : first;
    }

    /// <summary>
    /// One full-length trial of <paramref name="trial"/>'s configuration for <paramref name="epochs"/> epochs (a new trial
    /// number, no rung), validated and offered as the best like any other.
    /// </summary>
    public CspTrialResult? RunLonger(CspTrialResult trial, int epochs) =>
        RunTrial(new Candidate(state.NextTrialId(), trial.Parameters), epochs, epochs, rung: null, previousEpochs: 0);

    private void RunBracket(List<Candidate> alive, int eta, int halvings, int minEpochs)
    {
        var rungs = SuccessiveHalving.Rungs(eta, halvings, minEpochs);
        var survivors = SuccessiveHalving.Survivors(eta, halvings);
        for (int rung = 0; rung <= halvings && alive.Count > 0; rung++)
        {
            var finished = new List<Candidate>();
            foreach (var candidate in alive)
            {
                if (state.Clock.Expired) return;
                var result = RunTrial(candidate, rungs[^1], rungs[rung], rung, rung == 0 ? 0 : rungs[rung - 1]);
                if (result is { Status: CspTrialStatus.Completed }) finished.Add(candidate with { Last = result });
            }
            if (rung == halvings) return;
            var ranked = finished.OrderByDescending(c => state.Best.ScoreOf(c.Last!)).ToList();
            alive = ranked.Take(survivors[rung + 1]).ToList();
            foreach (var dropped in ranked.Skip(survivors[rung + 1]))
            {
                state.Replace(dropped.Last!, dropped.Last! with { Status = CspTrialStatus.Pruned });
                DeleteCheckpoint(dropped.Parameters, rungs[^1]);
            }
        }
    }

    /// <summary>Trains one configuration to <paramref name="stopAfter"/> epochs of a <paramref name="scheduleEpochs"/>-epoch run and evaluates it.</summary>
    private CspTrialResult? RunTrial(Candidate candidate, int scheduleEpochs, int stopAfter, int? rung, int previousEpochs)
    {
        var p = candidate.Parameters;
        var combo = (p.Architecture, p.ImageSize);
        if (state.History?.Find(CspSearchStage.FineTune, stopAfter, scheduleEpochs, p) is { } done)
        {
            var again = state.Record(done with { TrialId = candidate.Id, Rung = rung, FromHistory = true, Parameters = p, Status = CspTrialStatus.Completed });
            // Only a trial whose model an earlier run saved (best-model.zip) can become the best without training it again.
            if (state.SavedModelIs(again)) state.OfferBest(again, null);
            return again;
        }
        double left = state.Clock.SecondsLeft, estimate = EstimatedSeconds(p, stopAfter - previousEpochs);
        if (estimate > left)
            return state.Record(new CspTrialResult
            {
                TrialId = candidate.Id, Stage = CspSearchStage.FineTune, Rung = rung, Epochs = stopAfter, ScheduleEpochs = scheduleEpochs, Parameters = p, Status = CspTrialStatus.NotStarted,
                Error = FormattableString.Invariant($"estimated {estimate:F0} s exceeds the {left:F0} s left"),
            });

        state.Started(new CspTrialResult { TrialId = candidate.Id, Stage = CspSearchStage.FineTune, Rung = rung, Epochs = stopAfter, ScheduleEpochs = scheduleEpochs, Parameters = p, Status = CspTrialStatus.Running });
        var watch = state.Clock.StartTimer();
        using var memory = new MemorySampler();
        using var token = state.Clock.TrialToken();
        CspImageClassificationTransformer? model = null;
        // From one epoch's end to the next (the checkpoint written between them included); the first as the trainer timed it.
        var epochSeconds = new List<double>();
        double? lastEpochEnd = null;
        void EpochEnded(CspEpochMetrics m)
        {
            double now = watch.Elapsed.TotalSeconds;
            epochSeconds.Add(lastEpochEnd is double last ? now - last : m.Elapsed.TotalSeconds);
            lastEpochEnd = now;
        }
        try
        {
            model = Fit(p, scheduleEpochs, stopAfter, token.Token, candidate.Id, EpochEnded);
            var metrics = state.ML.MulticlassClassification.Evaluate(model.Transform(state.Data.Validation), state.Data.LabelColumnName);
            // The epochs apart; the rest (reading the data, building the model, the validation pass) is the rung's fixed part.
            state.Costs.RecordRung(combo, p.FreezeBackbone, watch.Elapsed.TotalSeconds, epochSeconds, p.Augmentation);
            var trial = state.Record(new CspTrialResult
            {
                TrialId = candidate.Id, Stage = CspSearchStage.FineTune, Rung = rung, Epochs = stopAfter, ScheduleEpochs = scheduleEpochs, Parameters = p, Status = CspTrialStatus.Completed,
                Metric = state.MetricOf(metrics), MicroAccuracy = metrics.MicroAccuracy, MacroAccuracy = metrics.MacroAccuracy, LogLoss = metrics.LogLoss,
                Duration = watch.Elapsed, PeakMemoryBytes = memory.Peak,
            });
            if (!state.OfferBest(trial, model, model)) model.Dispose();
            return trial;
        }
        catch (Exception e)
        {
            if (model is not null && !state.Best.Owns(model)) model.Dispose();
            bool stopped = SearchState.IsCancellation(e) && token.IsCancellationRequested;
            if (!stopped) DeleteCheckpoint(p, scheduleEpochs); // a cancelled trial's finished epochs stay for a resumed search
            return state.Record(new CspTrialResult
            {
                TrialId = candidate.Id, Stage = CspSearchStage.FineTune, Rung = rung, Epochs = stopAfter, ScheduleEpochs = scheduleEpochs, Parameters = p,
                Status = stopped ? CspTrialStatus.Cancelled : CspTrialStatus.Failed, Duration = watch.Elapsed, PeakMemoryBytes = memory.Peak,
                Error = stopped ? "stopped by the time budget or cancellation" : SearchState.Describe(e),
            });
        }
    }

    /// <summary>
    /// Fits the configuration with its own seed and checkpoint directory (both derived from its settings), so a promoted trial,
    /// or the same trial in a resumed search, continues from its last finished epoch.
    /// </summary>
    private CspImageClassificationTransformer Fit(CspImageClassificationSearchSpace p, int scheduleEpochs, int stopAfter, CancellationToken token, int trialId,
        Action<CspEpochMetrics> epochEnded) =>
        Fit(state, state.Data.Train, p, scheduleEpochs, stopAfter, token, trialId,
            state.TrialSeed(TrialHistory.Key(CspSearchStage.FineTune, 0, scheduleEpochs, p)), CheckpointOf(p, scheduleEpochs), epochEnded: epochEnded);

    /// <summary>Fits <c>CspImageClassification</c> with a configuration's settings and the search's shared ones on <paramref name="data"/>.</summary>
    public static CspImageClassificationTransformer Fit(SearchState state, IDataView data, CspImageClassificationSearchSpace p, int scheduleEpochs, int stopAfter,
        CancellationToken token, int trialId, int seed, string? checkpointDirectory, Func<CspEpochMetrics, int?>? rescheduleAfterEpoch = null,
        Action<CspEpochMetrics>? epochEnded = null)
    {
        var context = state.TrialContext(seed, trialId);
        var options = new CspImageClassificationTrainer.Options
        {
            LabelColumnName = state.Data.LabelColumnName, ImageColumnName = state.Data.ImageColumnName,
            Architecture = p.Architecture, ImageSize = p.ImageSize, CropFraction = state.Options.CropFraction,
            Epochs = scheduleEpochs, StopAfterEpoch = stopAfter, BatchSize = state.Options.BatchSize,
            LearningRate = p.LearningRate, WeightDecay = p.WeightDecay, LabelSmoothing = p.LabelSmoothing, Augmentation = p.Augmentation,
            FreezeBackbone = p.FreezeBackbone, CacheMode = state.Options.CacheMode, TorchThreads = state.Options.TorchThreads,
            Device = state.Options.Device, CancellationToken = token, Time = state.Clock.Time,
            CheckpointDirectory = checkpointDirectory, RescheduleAfterEpoch = rescheduleAfterEpoch, MetricsCallback = epochEnded,
        };
        return context.MulticlassClassification.Trainers.CspImageClassification(options).Fit(data);
    }

    /// <summary>A configuration's checkpoint directory, named by its seed (from its settings and schedule).</summary>
    private string CheckpointOf(CspImageClassificationSearchSpace p, int scheduleEpochs) =>
        Path.Combine(state.WorkDirectory, FormattableString.Invariant($"trial-{state.TrialSeed(TrialHistory.Key(CspSearchStage.FineTune, 0, scheduleEpochs, p)):x8}"));

    /// <summary>Pruned and failed configurations are not continued: their checkpoints (weights and optimizer state) go.</summary>
    private void DeleteCheckpoint(CspImageClassificationSearchSpace p, int scheduleEpochs)
    {
        try
        {
            string directory = CheckpointOf(p, scheduleEpochs);
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            state.Warn($"Could not delete a pruned trial's checkpoint: {e.Message}");
        }
    }

    /// <summary>
    /// <paramref name="preferred"/>, or a drawn configuration, not yet started with this schedule; null when 20 draws found none.
    /// </summary>
    private CspImageClassificationSearchSpace? Unique(CspImageClassificationSearchSpace? preferred, int scheduleEpochs, bool sampleCombo = true)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var p = attempt == 0 && preferred is not null ? preferred : sampleCombo ? Draw() : state.Space.Sample(random);
            if (started.Add(TrialHistory.Key(CspSearchStage.FineTune, 0, scheduleEpochs, p))) return p;
        }
        return null;
    }

    /// <summary>Estimated seconds of a trial-rung of <paramref name="epochs"/> epochs of a configuration (its fixed part included).</summary>
    private double EstimatedSeconds(CspImageClassificationSearchSpace p, int epochs)
    {
        var (perEpoch, perTrial) = RungCost((p.Architecture, p.ImageSize), p.FreezeBackbone);
        return perTrial + epochs * perEpoch;
    }

    private (double PerEpoch, double PerTrial) RungCost((string, int) combo, bool frozen)
    {
        if (state.Costs.Rung(combo, frozen) is { } known) return known;
        ProbeForward(combo);
        // Unmeasurable (the probe failed, so the trial will too): assume an epoch takes a third of the time left, keeping brackets small.
        return state.Costs.Rung(combo, frozen) ?? (Math.Max(1, state.Clock.SecondsLeft / 3), 0);
    }

    /// <summary>
    /// Times the featurizer on a few training images when no trial has measured any architecture yet: one pass to warm up
    /// (building the network, first allocations), then a timed one.
    /// </summary>
    private void ProbeForward((string Architecture, int Size) combo)
    {
        try
        {
            var sample = state.ML.Data.TakeRows(state.Data.Train, 64);
            using var featurizer = state.ML.Transforms.CspFeaturize(new Featurizer.CspFeaturizerOptions
            {
                Architecture = combo.Architecture, ImageSize = combo.Size, CropFraction = state.Options.CropFraction,
                InputColumnName = state.Data.ImageColumnName, OutputColumnName = FeatureStage.FeaturesColumnName, TorchThreads = state.Options.TorchThreads,
                Device = state.Options.Device,
            }).Fit(sample);
            featurizer.Transform(sample).GetColumn<VBuffer<float>>(FeatureStage.FeaturesColumnName).LongCount();
            var watch = state.Clock.StartTimer();
            long rows = featurizer.Transform(sample).GetColumn<VBuffer<float>>(FeatureStage.FeaturesColumnName).LongCount();
            state.Costs.RecordForward(combo, watch.Elapsed.TotalSeconds, rows);
        }
        catch (Exception e)
        {
            state.Info($"Could not time {combo.Architecture} at {combo.Size} px: {SearchState.Describe(e)}");
        }
    }

    /// <summary>
    /// A sampled configuration. After a first stage: fine-tuned (the frozen alternative was the first stage's, with better
    /// heads than a linear layer trained by SGD), and half the time on the first stage's best architecture and size, else on
    /// any from the space, so successive halving compares architectures fine-tuned (docs/benchmarks.md: drawing from the
    /// first stage's ranking alone fine-tuned a single architecture and lost up to 2.7 points).
    /// </summary>
    private CspImageClassificationSearchSpace Draw()
    {
        var p = state.Space.Sample(random);
        if (ranking.Count == 0) return p;
        p.FreezeBackbone = false;
        return random.NextDouble() < 0.5 ? WithCombo(p, ranking[0]) : WithCombo(p, (p.Architecture, p.ImageSize));
    }

    private CspImageClassificationSearchSpace WithCombo(CspImageClassificationSearchSpace p, (string Architecture, int Size) combo)
    {
        (p.Architecture, p.ImageSize, p.Head) = (combo.Architecture, combo.Size, state.Space.Initial.Head);
        return p;
    }
}
