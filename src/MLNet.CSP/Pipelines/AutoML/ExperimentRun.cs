using System.Globalization;
using MLNet.CSP.Pipelines.Data;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>One run of an experiment: prepares the data (label key, validation split), runs the strategy's stages within the budget, returns the best model.</summary>
internal sealed class ExperimentRun(MLContext ml, CspImageClassificationExperimentOptions options, SearchSpaceSampler space, IDataView train,
    IDataView? validation, IProgress<CspTrialResult>? progress, CancellationToken cancellationToken)
{
    public CspExperimentResult Run()
    {
        var clock = new SearchClock(TimeSpan.FromSeconds(options.TrainingTimeInSeconds), cancellationToken, options.Time);
        var host = ((IHostEnvironment)ml).Register("CspAutoML");
        using var log = host.Start("CspAutoML");
        int seed = options.Seed ?? host.Rand.Next();
        var (data, keyMap) = Prepare(seed);
        bool temporary = options.CheckpointDirectory is null;
        string directory = options.CheckpointDirectory ?? Path.Combine(Path.GetTempPath(), "mlnet-csp-automl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        TrialHistory? history = null;
        if (!temporary)
        {
            history = new TrialHistory(Path.Combine(directory, TrialHistory.FileName), string.Join(";",
                FormattableString.Invariant($"rows={data.TrainRows}/{data.ValidationRows}"), FormattableString.Invariant($"labels={LabelHash(data):x8}"),
                FormattableString.Invariant($"seed={seed}"), $"metric={options.Metric}", FormattableString.Invariant($"batch={options.BatchSize}"),
                $"crop={options.CropFraction?.ToString(CultureInfo.InvariantCulture) ?? "default"}"));
            history.Load();
        }
        var state = new SearchState(ml, options, space, data, clock, seed, directory, history, progress, log);
        (CspTrialResult Trial, ITransformer Model)? finalFit = null;
        try
        {
            state.Info(FormattableString.Invariant($"Search: {options.Strategy}, {options.TrainingTimeInSeconds} s, {data.TrainRows} training and {data.ValidationRows} validation images, metric {options.Metric}, seed {seed}."));
            switch (options.Strategy)
            {
                case CspSearchStrategy.FrozenFeaturesOnly:
                    new FeatureStage(state).Run(clock.BudgetSeconds);
                    break;
                case CspSearchStrategy.RandomSearch:
                    new FineTuneStage(state, []).RunRandomSearch();
                    break;
                default:
                    var features = new FeatureStage(state);
                    features.Run(clock.BudgetSeconds * options.FeatureStageFraction);
                    clock.EndStageAt(clock.BudgetSeconds * Math.Max(options.FeatureStageFraction, 1 - options.FinalFitFraction));
                    var fineTuning = new FineTuneStage(state, features.Ranking);
                    fineTuning.RunSuccessiveHalving(finalFitFollows: options.FinalFitFraction > 0);
                    clock.EndStageAt(double.PositiveInfinity);
                    if (options.FinalFitFraction > 0)
                    {
                        var final = new FinalFitStage(state);
                        finalFit = final.Run();
                        if (final.TooLittleTime && !clock.Expired)
                        {
                            // The winner trained longer than the time kept back allows on all the images: the time goes to more fine-tuning.
                            state.Info(FormattableString.Invariant($"Fine-tuning goes on for the {clock.SecondsLeft:F0} s kept back."));
                            fineTuning.RunSuccessiveHalving();
                        }
                    }
                    break;
            }
            var best = state.Best.Trial ?? throw NoResult(state, clock);
            ITransformer chosen;
            if (finalFit is { } fitted)
                chosen = fitted.Model; // the search's own best model is disposed with state.Best
            else
            {
                if (state.Best.Model is null) LoadSavedBest(state, best);
                chosen = state.Best.Model!;
                state.Best.Release();
            }
            ITransformer model = keyMap is null ? chosen : new TransformerChain<ITransformer>(keyMap, chosen);
            state.Info($"Best: {best}" + (finalFit is { } f ? $"; returned: its final fit, {f.Trial}" : ""));
            return new CspExperimentResult(model, best, state.Trials.ToList(), TimeSpan.FromSeconds(clock.ElapsedSeconds),
                cancellationToken.IsCancellationRequested, history?.Path, finalFit?.Trial);
        }
        finally
        {
            state.Best.Dispose();
            if (temporary) TryDelete(directory);
        }
    }

    private (SearchData Data, ITransformer? KeyMap) Prepare(int seed)
    {
        string label = options.LabelColumnName;
        ITransformer? keyMap = null;
        if (train.Schema[label].Type is not KeyDataViewType)
        {
            // Classes of both sets: a class seen only in validation counts as a miss there instead of being dropped from ranking.
            keyMap = ml.Transforms.Conversion.MapValueToKey(label).Fit(validation is null ? train : ConcatenatedRowsView.Create(ml, [label], train, validation));
            train = keyMap.Transform(train);
            validation = validation is null ? null : keyMap.Transform(validation);
        }
        IDataView? whole = null;
        if (validation is null)
        {
            whole = train;
            var split = ml.Data.TrainTestSplit(train, options.ValidationFraction, seed: seed);
            (train, validation) = (split.TrainSet, split.TestSet);
        }
        long trainRows = Count(train), validationRows = Count(validation);
        if (trainRows < 2) throw new InvalidOperationException($"The training data has {trainRows} rows; a search needs at least two.");
        if (validationRows < 1) throw new InvalidOperationException("The validation data has no rows.");
        return (new SearchData(train, validation, label, options.ImageColumnName, trainRows, validationRows, whole), keyMap);
    }

    /// <summary>
    /// The best trial came from an earlier run's history: load its model, which that run saved (a trial read back without a
    /// saved model only ranks; it never becomes the best, so nothing is refitted after the deadline).
    /// </summary>
    private static void LoadSavedBest(SearchState state, CspTrialResult best)
    {
        if (!state.SavedModelIs(best))
            throw new InvalidOperationException($"The best trial {best} came from the history, but '{state.BestModelPath}' holds another trial's model.");
        state.Info($"Loading the best trial's model, saved by the earlier run: {best}");
        try
        {
            state.Best.Attach(state.ML.Model.Load(state.BestModelPath, out _));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Could not load '{state.BestModelPath}', the best model saved by an earlier run of this experiment ({best}); " +
                $"delete it and its trials.csv to search afresh: {e.Message}", e);
        }
    }

    private static Exception NoResult(SearchState state, SearchClock clock)
    {
        if (clock.Caller.IsCancellationRequested) return new OperationCanceledException("The search was cancelled before a trial finished.", clock.Caller);
        var failed = state.Trials.FirstOrDefault(t => t.Status == CspTrialStatus.Failed);
        if (failed is not null && state.Trials.All(t => t.Status is CspTrialStatus.Failed or CspTrialStatus.NotStarted))
            return new InvalidOperationException($"Every trial failed; the first: {failed}: {failed.Error}");
        return new TimeoutException(FormattableString.Invariant($"No trial finished within the {clock.BudgetSeconds:F0} s budget ({state.Trials.Count} started or planned); give the search more time or a smaller search space."));
    }

    /// <summary>A hash of every training and validation label, in order: another data set of the same size is another experiment.</summary>
    private static uint LabelHash(SearchData data)
    {
        uint hash = 2166136261;
        foreach (var view in new[] { data.Train, data.Validation })
            foreach (uint key in view.GetColumn<uint>(data.LabelColumnName))
                hash = (hash ^ key) * 16777619;
        return hash;
    }

    private static long Count(IDataView data)
    {
        if (data.GetRowCount() is long known) return known;
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
