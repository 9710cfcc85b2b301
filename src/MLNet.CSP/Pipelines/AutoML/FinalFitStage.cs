using System.Diagnostics;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Data;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The last stage of a two-stage search: the winning configuration trained again on the training and validation images
/// together. A fine-tuned winner is trained from scratch for as many epochs as the time kept back fits (never fewer steps
/// than it won with: on 25% more images, 4 epochs take the steps of 5). A head on frozen features won against fine-tuning rungs shorter than a final fit would train, so first the
/// best fine-tuning configuration gets one longer trial on the training images (validated like any trial); when that wins,
/// it is the winner (trained again on every image if time is left, which is rare), else the head is fitted again on the
/// features of every image. When a final fit cannot run, fails or is cancelled, the search returns the winning trial's own model.
/// </summary>
internal sealed class FinalFitStage(SearchState state)
{
    /// <summary>Share of the time left that the estimate may fill (the rest absorbs estimation error).</summary>
    private const double Headroom = 0.9;

    /// <summary>
    /// The same for the longer trial, sized from rungs of a few epochs to many times their length: measured, a 39-epoch
    /// trial sized at 0.9 of the time left from 2- and 6-epoch rungs ran 10% over and was stopped at the deadline.
    /// </summary>
    private const double LongerTrialHeadroom = 0.75;

    /// <summary>Seconds a fit needs after its last epoch (building the transformer).</summary>
    private const double FinishSeconds = 2;

    /// <summary>Whether <see cref="Run"/> found that the winner cannot be trained again in the time left (the search may use it otherwise).</summary>
    public bool TooLittleTime { get; private set; }

    public (CspTrialResult Trial, ITransformer Model)? Run()
    {
        // When the longer trial wins, it is the best trial below (and rarely leaves time to be trained again).
        if (state.Best.Trial is { Stage: CspSearchStage.Features } head && !state.Clock.Expired) TryLongerFineTuning(head);
        if (state.Best.Trial is not { } best || state.Clock.Expired) return null;
        var data = state.Data;
        long rows = data.TrainRows + data.ValidationRows;
        double scale = (double)rows / data.TrainRows, left = state.Clock.SecondsLeft * Headroom;
        var p = best.Parameters;
        var combo = (p.Architecture, p.ImageSize);
        int epochs = 0;
        double estimate;
        if (best.Stage == CspSearchStage.FineTune)
        {
            // Its own rungs when timed (other settings of its combination cost more or less), else its combination's slowest.
            if ((state.Costs.OwnRung(combo, p.FreezeBackbone, p.Augmentation) ?? state.Costs.Rung(combo, p.FreezeBackbone)) is not var (perEpoch, perTrial))
                return Skip($"no measured cost for {p.Architecture} at {p.ImageSize} px");
            epochs = (int)Math.Min(MaxEpochs(best), Math.Floor((left - perTrial * scale) / Math.Max(perEpoch * scale, 1e-6)));
            // As many training steps as the winner's at the least: its epochs on the training images, fewer on all the images.
            int least = Math.Max(1, (int)Math.Ceiling(best.Epochs / scale - 1e-9));
            if (epochs < least)
                return Skip(tooLittleTime: true, why: FormattableString.Invariant($"the {left:F0} s left fit {Math.Max(epochs, 0)} epochs on all {rows} images, fewer than the {least} that take as many steps as the winner's {best.Epochs} epochs on {data.TrainRows}"));
            estimate = (perTrial + epochs * perEpoch) * scale;
        }
        else
        {
            // The winner's own duration (its head, and the featurization when it was its combination's first head), scaled to more rows.
            estimate = (state.Costs.Featurize(combo) ?? 0) + best.Duration.TotalSeconds * scale;
            if (estimate > left) return Skip(tooLittleTime: true, why: FormattableString.Invariant($"featurizing all {rows} images and fitting the head is estimated at {estimate:F0} s, more than the {left:F0} s left"));
        }

        IDataView all;
        try
        {
            all = data.Whole ?? ConcatenatedRowsView.Create(state.ML, [data.LabelColumnName, data.ImageColumnName], data.Train, data.Validation);
        }
        catch (ArgumentOutOfRangeException e)
        {
            return Skip($"the training and validation data cannot be used together: {e.Message}");
        }

        var started = new CspTrialResult
        {
            TrialId = best.TrialId, Stage = CspSearchStage.FinalFit, Epochs = epochs, ScheduleEpochs = epochs, Parameters = p, Status = CspTrialStatus.Running,
        };
        state.Info(FormattableString.Invariant($"Final fit: {p}{(epochs > 0 ? $" for {epochs} epochs" : "")} on all {rows} images (training and validation), about {estimate:F0} s of the {state.Clock.SecondsLeft:F0} s left."));
        state.Started(started);
        var watch = state.Clock.StartTimer();
        using var memory = new MemorySampler();
        using var token = state.Clock.TrialToken();
        try
        {
            int seed = state.TrialSeed(TrialHistory.Key(CspSearchStage.FinalFit, epochs, epochs, p));
            ITransformer model = best.Stage == CspSearchStage.FineTune
                ? FitFineTuned(all, best, ref epochs, seed, token.Token)
                : FitHead(best, all, seed, token.Token);
            started = started with { Epochs = epochs, ScheduleEpochs = epochs };
            return (state.Record(started with { Status = CspTrialStatus.Completed, Duration = watch.Elapsed, PeakMemoryBytes = memory.Peak }), model);
        }
        catch (Exception e)
        {
            bool stopped = SearchState.IsCancellation(e) && token.IsCancellationRequested;
            state.Record(started with
            {
                Status = stopped ? CspTrialStatus.Cancelled : CspTrialStatus.Failed, Duration = watch.Elapsed, PeakMemoryBytes = memory.Peak,
                Error = (stopped ? "stopped by the time budget or cancellation" : SearchState.Describe(e)) + "; the winning trial's own model is returned",
            });
            return null;
        }
    }

    /// <summary>
    /// The best fine-tuning configuration trained on the training images for as many epochs as fit in the time left, less what
    /// fitting the head again would take; offered as the best like any trial.
    /// </summary>
    private void TryLongerFineTuning(CspTrialResult head)
    {
        var ranked = state.Trials.Where(t => t.Stage == CspSearchStage.FineTune && t.Status is CspTrialStatus.Completed or CspTrialStatus.Pruned)
            .OrderByDescending(t => state.Best.ScoreOf(t)).ThenByDescending(t => t.Epochs).ToList();
        if (ranked.Count == 0) return;
        var candidate = ranked[0];
        var p = candidate.Parameters;
        if (state.Costs.Rung((p.Architecture, p.ImageSize), p.FreezeBackbone) is not var (perEpoch, perTrial)) return;
        var data = state.Data;
        double scale = (double)(data.TrainRows + data.ValidationRows) / data.TrainRows;
        double refit = (state.Costs.Featurize((head.Parameters.Architecture, head.Parameters.ImageSize)) ?? 0) + head.Duration.TotalSeconds * scale;
        int epochs = (int)Math.Floor((state.Clock.SecondsLeft * LongerTrialHeadroom - refit - perTrial) / Math.Max(perEpoch, 1e-6));
        if (state.Options.MaxEpochs is int cap) epochs = Math.Min(epochs, cap);
        if (epochs <= candidate.Epochs)
        {
            state.Info(FormattableString.Invariant($"Final fit: a head on frozen features won; the time left fits {Math.Max(epochs, 0)} epochs of the best fine-tuning configuration, not more than the {candidate.Epochs} it trained."));
            return;
        }
        state.Info(FormattableString.Invariant($"Final fit: a head on frozen features won against fine-tuning rungs of at most {ranked.Max(t => t.Epochs)} epochs; the best fine-tuning configuration gets {epochs} epochs first."));
        new FineTuneStage(state, []).RunLonger(candidate, epochs);
    }

    /// <summary>
    /// Fine-tunes for <paramref name="epochs"/> epochs on all the images; after each epoch <see cref="FinalFitSchedule"/> may
    /// shorten the learning-rate schedule to end by the deadline or lengthen it to use the time left. <paramref name="epochs"/>
    /// becomes the epochs trained.
    /// </summary>
    private CspImageClassificationTransformer FitFineTuned(IDataView all, CspTrialResult best, ref int epochs, int seed, CancellationToken token)
    {
        var schedule = new FinalFitSchedule(() => state.Clock.SecondsLeft - FinishSeconds, MaxEpochs(best));
        int trained = 0;
        int? Reschedule(CspEpochMetrics m)
        {
            trained = m.Epoch;
            return schedule.AfterEpoch(m.Epoch, m.Epochs, m.Elapsed.TotalSeconds);
        }
        var model = FineTuneStage.Fit(state, all, best.Parameters, epochs, epochs, token, best.TrialId, seed, checkpointDirectory: null, Reschedule);
        if (trained != epochs)
            state.Info(FormattableString.Invariant($"Final fit: its schedule was {(trained < epochs ? "shortened" : "lengthened")} from {epochs} to {trained} epochs {(trained < epochs ? "to end by the deadline" : "to use the time left")}."));
        epochs = trained;
        return model;
    }

    /// <summary>The most epochs a final fit may train: <see cref="CspImageClassificationExperimentOptions.MaxEpochs"/>, but never fewer than the winner trained.</summary>
    private int MaxEpochs(CspTrialResult best) => state.Options.MaxEpochs is int cap ? Math.Max(cap, best.Epochs) : int.MaxValue;

    /// <summary>The winner's frozen featurizer (the same random weights: its seed comes from the combination) and its head, fitted on every image.</summary>
    private TransformerChain<ITransformer> FitHead(CspTrialResult best, IDataView all, int seed, CancellationToken token)
    {
        var p = best.Parameters;
        var featurizer = FeatureStage.CreateFeaturizer(state, (p.Architecture, p.ImageSize), best.TrialId);
        try
        {
            var features = new FeatureStage(state).Materialize(featurizer, all, token);
            var context = state.TrialContext(seed, best.TrialId);
            using var cancel = token.Register(context.CancelExecution);
            var head = HeadTrainers.Create(context, p.Head, FeatureStage.LabelColumnName, FeatureStage.FeaturesColumnName).Fit(features);
            token.ThrowIfCancellationRequested();
            return new TransformerChain<ITransformer>(featurizer, head);
        }
        catch
        {
            featurizer.Dispose();
            throw;
        }
    }

    private (CspTrialResult, ITransformer)? Skip(string why, bool tooLittleTime = false)
    {
        TooLittleTime = tooLittleTime;
        state.Info($"Final fit skipped: {why}; the best trial's own model is returned.");
        return null;
    }
}
