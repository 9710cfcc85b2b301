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

    private sealed record Candidate(int Id, CspImageClassificationSearchSpace Parameters, CspTrialResult? Last = null);

    public void RunSuccessiveHalving()
    {
        var random = new Random(state.Seed);
        int eta = state.Options.ReductionFactor;
        bool first = true;
        while (!state.Clock.Expired && state.Trials.Count < MaxTrials)
        {
            var top = ranking.Count > 0 ? ranking[0] : (state.Space.Initial.Architecture, state.Space.Initial.ImageSize);
            double perEpoch = EpochSeconds(top);
            var plan = SuccessiveHalving.Plan(eta, SuccessiveHalving.DefaultHalvings, state.Options.MaxEpochs, perEpoch, state.Clock.SecondsLeft);
            if (plan is not var (s, minEpochs))
            {
                state.Info(FormattableString.Invariant($"Fine-tuning: no bracket fits the {state.Clock.SecondsLeft:F0} s left (an epoch of {top.Item1} at {top.Item2} px is estimated at {perEpoch:F0} s)."));
                break;
            }
            int configurations = SuccessiveHalving.Survivors(eta, s)[0];
            var candidates = Enumerable.Range(0, configurations).Select(i => new Candidate(state.NextTrialId(), first && i == 0 ? WithCombo(state.Space.Initial.Clone(), top) : Draw(random))).ToList();
            first = false;
            state.Info(FormattableString.Invariant($"Fine-tuning bracket: {configurations} configurations, rungs of {string.Join("/", SuccessiveHalving.Rungs(eta, s, minEpochs))} epochs, about {SuccessiveHalving.Epochs(eta, s, minEpochs) * perEpoch:F0} s."));
            RunBracket(candidates, eta, s, minEpochs);
        }
    }

    public void RunRandomSearch()
    {
        var random = new Random(state.Seed);
        int epochs = state.Options.MaxEpochs ?? CspDefaults.Epochs, misses = 0;
        bool first = true;
        while (!state.Clock.Expired && misses < 3 && state.Trials.Count < MaxTrials)
        {
            var p = first ? state.Space.Initial.Clone() : state.Space.Sample(random);
            first = false;
            var candidate = new Candidate(state.NextTrialId(), p);
            var result = RunTrial(candidate, epochs, epochs, rung: null, previousEpochs: 0);
            misses = result?.Status == CspTrialStatus.NotStarted ? misses + 1 : 0;
        }
    }

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
                state.Replace(dropped.Last!, dropped.Last! with { Status = CspTrialStatus.Pruned });
        }
    }

    /// <summary>Trains one configuration to <paramref name="stopAfter"/> epochs of a <paramref name="scheduleEpochs"/>-epoch run and evaluates it.</summary>
    private CspTrialResult? RunTrial(Candidate candidate, int scheduleEpochs, int stopAfter, int? rung, int previousEpochs)
    {
        var p = candidate.Parameters;
        var combo = (p.Architecture, p.ImageSize);
        if (state.History?.Find(CspSearchStage.FineTune, stopAfter, scheduleEpochs, p) is { } done)
        {
            var again = state.Record(done with { TrialId = candidate.Id, Rung = rung, FromHistory = true, Parameters = p });
            state.Best.Offer(again, null);
            return again;
        }
        double left = state.Clock.SecondsLeft, estimate = (stopAfter - previousEpochs) * EpochSeconds(combo);
        if (estimate > left)
            return state.Record(new CspTrialResult
            {
                TrialId = candidate.Id, Stage = CspSearchStage.FineTune, Rung = rung, Epochs = stopAfter, ScheduleEpochs = scheduleEpochs, Parameters = p, Status = CspTrialStatus.NotStarted,
                Error = FormattableString.Invariant($"estimated {estimate:F0} s exceeds the {left:F0} s left"),
            });

        state.Started(new CspTrialResult { TrialId = candidate.Id, Stage = CspSearchStage.FineTune, Rung = rung, Epochs = stopAfter, ScheduleEpochs = scheduleEpochs, Parameters = p, Status = CspTrialStatus.Running });
        var watch = Stopwatch.StartNew();
        using var memory = new MemorySampler();
        using var token = state.Clock.TrialToken();
        CspImageClassificationTransformer? model = null;
        try
        {
            model = Fit(p, scheduleEpochs, stopAfter, token.Token, candidate.Id);
            state.Costs.RecordEpochs(combo, watch.Elapsed.TotalSeconds, stopAfter - previousEpochs);
            var metrics = state.ML.MulticlassClassification.Evaluate(model.Transform(state.Data.Validation), state.Data.LabelColumnName);
            var trial = state.Record(new CspTrialResult
            {
                TrialId = candidate.Id, Stage = CspSearchStage.FineTune, Rung = rung, Epochs = stopAfter, ScheduleEpochs = scheduleEpochs, Parameters = p, Status = CspTrialStatus.Completed,
                Metric = state.MetricOf(metrics), MicroAccuracy = metrics.MicroAccuracy, MacroAccuracy = metrics.MacroAccuracy, LogLoss = metrics.LogLoss,
                Duration = watch.Elapsed, PeakMemoryBytes = memory.Peak,
            });
            if (!state.Best.Offer(trial, model, model)) model.Dispose();
            return trial;
        }
        catch (Exception e)
        {
            model?.Dispose();
            bool stopped = SearchState.IsCancellation(e) && token.IsCancellationRequested;
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
    public CspImageClassificationTransformer Fit(CspImageClassificationSearchSpace p, int scheduleEpochs, int stopAfter, CancellationToken token, int trialId)
    {
        string key = TrialHistory.Key(CspSearchStage.FineTune, 0, scheduleEpochs, p);
        int seed = state.TrialSeed(key);
        var context = state.TrialContext(seed, trialId);
        var options = new CspImageClassificationTrainer.Options
        {
            LabelColumnName = state.Data.LabelColumnName, ImageColumnName = state.Data.ImageColumnName,
            Architecture = p.Architecture, ImageSize = p.ImageSize, CropFraction = state.Options.CropFraction,
            Epochs = scheduleEpochs, StopAfterEpoch = stopAfter, BatchSize = state.Options.BatchSize,
            LearningRate = p.LearningRate, WeightDecay = p.WeightDecay, LabelSmoothing = p.LabelSmoothing, Augmentation = p.Augmentation,
            FreezeBackbone = p.FreezeBackbone, CacheMode = state.Options.CacheMode, TorchThreads = state.Options.TorchThreads,
            Device = state.Options.Device, CancellationToken = token,
            CheckpointDirectory = Path.Combine(state.WorkDirectory, FormattableString.Invariant($"trial-{seed:x8}")),
        };
        return context.MulticlassClassification.Trainers.CspImageClassification(options).Fit(state.Data.Train);
    }

    private double EpochSeconds((string, int) combo)
    {
        if (state.Costs.Epoch(combo) is double known) return known;
        ProbeForward(combo);
        return state.Costs.Epoch(combo) ?? 0;
    }

    /// <summary>Times the featurizer on a few training images when no trial has measured any architecture yet.</summary>
    private void ProbeForward((string Architecture, int Size) combo)
    {
        try
        {
            var sample = state.ML.Data.TakeRows(state.Data.Train, 64);
            var watch = Stopwatch.StartNew();
            using var featurizer = state.ML.Transforms.CspFeaturize(new Featurizer.CspFeaturizerOptions
            {
                Architecture = combo.Architecture, ImageSize = combo.Size, CropFraction = state.Options.CropFraction,
                InputColumnName = state.Data.ImageColumnName, OutputColumnName = FeatureStage.FeaturesColumnName, TorchThreads = state.Options.TorchThreads,
                Device = state.Options.Device,
            }).Fit(sample);
            long rows = featurizer.Transform(sample).GetColumn<VBuffer<float>>(FeatureStage.FeaturesColumnName).LongCount();
            state.Costs.RecordForward(combo, watch.Elapsed.TotalSeconds, rows);
        }
        catch (Exception e)
        {
            state.Info($"Could not time {combo.Architecture} at {combo.Size} px: {e.Message}");
        }
    }

    /// <summary>A sampled configuration on an architecture and size from the first stage's ranking (the best half the time).</summary>
    private CspImageClassificationSearchSpace Draw(Random random)
    {
        var p = state.Space.Sample(random);
        if (ranking.Count == 0) return p;
        int i = 0;
        while (i < ranking.Count - 1 && random.NextDouble() < 0.5) i++;
        return WithCombo(p, ranking[i]);
    }

    private CspImageClassificationSearchSpace WithCombo(CspImageClassificationSearchSpace p, (string Architecture, int Size) combo)
    {
        (p.Architecture, p.ImageSize, p.Head) = (combo.Architecture, combo.Size, state.Space.Initial.Head);
        return p;
    }
}
