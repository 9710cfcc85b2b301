using System.Diagnostics;
using MLNet.CSP.Pipelines.Data;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The last stage of a two-stage search: the winning configuration trained again on the training and validation images
/// together. A fine-tuned winner is trained from scratch for as many epochs as the time kept back fits (never fewer than it
/// won with); a head on frozen features is fitted again on the features of every image. The validation data only chose the
/// configuration. When it cannot run, fails or is cancelled, the search returns the winning trial's own model.
/// </summary>
internal sealed class FinalFitStage(SearchState state)
{
    /// <summary>Share of the time left that the estimate may fill (the rest absorbs estimation error).</summary>
    private const double Headroom = 0.9;

    public (CspTrialResult Trial, ITransformer Model)? Run()
    {
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
            if (state.Costs.Rung(combo, p.FreezeBackbone) is not var (perEpoch, perTrial))
                return Skip($"no measured cost for {p.Architecture} at {p.ImageSize} px");
            epochs = (int)Math.Floor((left - perTrial * scale) / Math.Max(perEpoch * scale, 1e-6));
            if (state.Options.MaxEpochs is int cap) epochs = Math.Min(epochs, Math.Max(cap, best.Epochs));
            if (epochs < best.Epochs)
                return Skip(FormattableString.Invariant($"the {left:F0} s left fit {Math.Max(epochs, 0)} epochs on all {rows} images, fewer than the {best.Epochs} the winner trained"));
            estimate = (perTrial + epochs * perEpoch) * scale;
        }
        else
        {
            // The winner's own duration (its head, and the featurization when it was its combination's first head), scaled to more rows.
            estimate = (state.Costs.Featurize(combo) ?? 0) + best.Duration.TotalSeconds * scale;
            if (estimate > left) return Skip(FormattableString.Invariant($"featurizing all {rows} images and fitting the head is estimated at {estimate:F0} s, more than the {left:F0} s left"));
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
        var watch = Stopwatch.StartNew();
        using var memory = new MemorySampler();
        using var token = state.Clock.TrialToken();
        try
        {
            int seed = state.TrialSeed(TrialHistory.Key(CspSearchStage.FinalFit, epochs, epochs, p));
            ITransformer model = best.Stage == CspSearchStage.FineTune
                ? FineTuneStage.Fit(state, all, p, epochs, epochs, token.Token, best.TrialId, seed, checkpointDirectory: null)
                : FitHead(best, all, seed, token.Token);
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

    private (CspTrialResult, ITransformer)? Skip(string why)
    {
        state.Info($"Final fit skipped: {why}; the winning trial's own model is returned.");
        return null;
    }
}
