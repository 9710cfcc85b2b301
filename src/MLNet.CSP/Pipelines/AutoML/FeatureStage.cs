using System.Diagnostics;
using MLNet.CSP.Pipelines.Featurizer;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The first stage: for each architecture and image size, featurize the training and validation images once (a frozen
/// backbone, features cached in memory), then fit every declared ML.NET head on the cached features in seconds and rank.
/// A combination whose estimated featurization exceeds the stage's time left is not started. While the search has no model
/// yet, the first combination it runs may go on past the stage's share, to the deadline: a slow start (loading the images, a
/// busy machine) must not spend the share before that combination and leave the search with no result.
/// </summary>
internal sealed class FeatureStage(SearchState state)
{
    public const string FeaturesColumnName = "CspSearchFeatures";
    public const string LabelColumnName = "CspSearchLabel";

    /// <summary>Seconds a head may always take, however little of the stage is left.</summary>
    private const double MinHeadSeconds = 10;

    /// <summary>The combinations by their best head, best first.</summary>
    public List<(string Architecture, int Size)> Ranking { get; } = [];

    public void Run(double stageEndSeconds)
    {
        var space = state.Space;
        var heads = space.Choices<CspHeadTrainer>(nameof(CspImageClassificationSearchSpace.Head))
            .OrderBy(h => h == space.Initial.Head ? 0 : 1).ToList();
        var scores = new Dictionary<(string, int), double>();
        bool attempted = false;
        foreach (var combo in Combos(state))
        {
            double end = !attempted && state.Best.Trial is null ? Math.Max(stageEndSeconds, state.Clock.BudgetSeconds) : stageEndSeconds;
            if (state.Clock.SecondsLeftUntil(end) <= 0 || state.Clock.Caller.IsCancellationRequested) break;
            var pending = new List<CspImageClassificationSearchSpace>();
            foreach (var head in heads)
            {
                var p = state.Space.Initial.Clone();
                (p.Architecture, p.ImageSize, p.Head, p.FreezeBackbone) = (combo.Architecture, combo.Size, head, true);
                if (state.History?.Find(CspSearchStage.Features, 0, 0, p) is { } done)
                {
                    var again = state.Record(done with { TrialId = state.NextTrialId(), FromHistory = true });
                    // It ranks its combination; it can be the best only when the earlier run saved its model (loaded at the end, not refitted).
                    if (state.SavedModelIs(again)) Offer(scores, combo, again, null);
                    else Rank(scores, combo, again);
                }
                else pending.Add(p);
            }
            if (pending.Count == 0) continue;
            attempted = true;
            if (!RunCombo(combo, pending, end, stageEndSeconds, scores)) break;
        }
        Ranking.AddRange(scores.OrderByDescending(e => e.Value).Select(e => e.Key));
    }

    /// <summary>The initial configuration's architecture and size first, then the others by multiply-accumulates.</summary>
    public static List<(string Architecture, int Size)> Combos(SearchState state)
    {
        var initial = (state.Space.Initial.Architecture, state.Space.Initial.ImageSize);
        return state.Space.Choices<string>(nameof(CspImageClassificationSearchSpace.Architecture))
            .SelectMany(a => state.Space.Choices<int>(nameof(CspImageClassificationSearchSpace.ImageSize)).Select(s => (a, s)))
            .OrderBy(c => c == initial ? 0 : 1).ThenBy(c => state.Costs.Macs(c)).ToList();
    }

    /// <summary>The frozen backbone of a combination, its random weights drawn from a seed of the combination (the same in a resumed search).</summary>
    public static CspFeaturizerTransformer CreateFeaturizer(SearchState state, (string Architecture, int Size) combo, int trialId)
    {
        var context = state.TrialContext(state.TrialSeed(FormattableString.Invariant($"features|{combo.Architecture}|{combo.Size}")), trialId);
        return context.Transforms.CspFeaturize(new CspFeaturizerOptions
        {
            Architecture = combo.Architecture, ImageSize = combo.Size, CropFraction = state.Options.CropFraction,
            InputColumnName = state.Data.ImageColumnName, OutputColumnName = FeaturesColumnName,
            TorchThreads = state.Options.TorchThreads, Device = state.Options.Device,
        }).Fit(state.Data.Train);
    }

    /// <summary>
    /// False when the stage must end (budget, cancellation). <paramref name="end"/> is the stage's end, or the deadline for the
    /// search's first combination; once the search has a model, the remaining heads keep to <paramref name="stageEndSeconds"/>.
    /// </summary>
    private bool RunCombo((string Architecture, int Size) combo, List<CspImageClassificationSearchSpace> pending, double end, double stageEndSeconds,
        Dictionary<(string, int), double> scores)
    {
        double left = state.Clock.SecondsLeftUntil(end);
        if (state.Costs.Featurize(combo) is double estimate && estimate > left)
        {
            state.Record(new CspTrialResult
            {
                TrialId = state.NextTrialId(), Stage = CspSearchStage.Features, Parameters = pending[0], Status = CspTrialStatus.NotStarted,
                Error = FormattableString.Invariant($"estimated featurization {estimate:F0} s exceeds the {left:F0} s left in this stage"),
            });
            return true;
        }
        var watch = state.Clock.StartTimer();
        using var memory = new MemorySampler();
        CspFeaturizerTransformer? featurizer = null;
        IDataView trainFeatures, validationFeatures;
        int firstId = state.NextTrialId();
        state.Started(new CspTrialResult { TrialId = firstId, Stage = CspSearchStage.Features, Parameters = pending[0], Status = CspTrialStatus.Running });
        using (var token = state.Clock.TrialToken(end))
        {
            try
            {
                featurizer = CreateFeaturizer(state, combo, firstId);
                trainFeatures = Materialize(featurizer, state.Data.Train, token.Token);
                validationFeatures = Materialize(featurizer, state.Data.Validation, token.Token);
            }
            catch (Exception e)
            {
                featurizer?.Dispose();
                bool stopped = SearchState.IsCancellation(e) && token.IsCancellationRequested;
                state.Record(new CspTrialResult
                {
                    TrialId = firstId, Stage = CspSearchStage.Features, Parameters = pending[0],
                    Status = stopped ? CspTrialStatus.Cancelled : CspTrialStatus.Failed, Duration = watch.Elapsed, PeakMemoryBytes = memory.Peak,
                    Error = stopped ? "stopped by the time budget or cancellation while featurizing" : "featurization failed: " + SearchState.Describe(e),
                });
                return !stopped;
            }
        }
        state.Costs.RecordForward(combo, watch.Elapsed.TotalSeconds, state.Data.TrainRows + state.Data.ValidationRows);
        bool go = true;
        for (int i = 0; i < pending.Count && go; i++)
            go = RunHead(combo, pending[i], i == 0 ? firstId : state.NextTrialId(), announce: i > 0, featurizer, trainFeatures, validationFeatures,
                i == 0 ? watch : state.Clock.StartTimer(), state.Best.Trial is null ? end : stageEndSeconds, scores);
        if (!state.Best.Owns(featurizer)) featurizer.Dispose();
        return go;
    }

    private bool RunHead((string, int) combo, CspImageClassificationSearchSpace p, int id, bool announce, CspFeaturizerTransformer featurizer,
        IDataView trainFeatures, IDataView validationFeatures, SearchTimer watch, double stageEnd, Dictionary<(string, int), double> scores)
    {
        long dimensions = trainFeatures.Schema[FeaturesColumnName].Type.GetValueCount();
        double left = state.Clock.SecondsLeftUntil(stageEnd);
        if (left <= 0)
        {
            state.Record(new CspTrialResult
            {
                TrialId = id, Stage = CspSearchStage.Features, Parameters = p, Status = CspTrialStatus.NotStarted,
                Error = "the stage's time is spent",
            });
            return true;
        }
        if (state.Costs.Head(p.Head, state.Data.TrainRows, dimensions) is double estimate && estimate > left)
        {
            state.Record(new CspTrialResult
            {
                TrialId = id, Stage = CspSearchStage.Features, Parameters = p, Status = CspTrialStatus.NotStarted,
                Error = FormattableString.Invariant($"estimated fit {estimate:F0} s exceeds the {left:F0} s left in this stage"),
            });
            return true;
        }
        if (announce) state.Started(new CspTrialResult { TrialId = id, Stage = CspSearchStage.Features, Parameters = p, Status = CspTrialStatus.Running });
        using var memory = new MemorySampler();
        // One slow head (boosted trees on wide features) may take half of the stage's time left, not all of it.
        double headEnd = Math.Min(stageEnd, state.Clock.ElapsedSeconds + Math.Max(MinHeadSeconds, left / 2));
        using var token = state.Clock.TrialToken(headEnd);
        var context = state.TrialContext(state.TrialSeed(TrialHistory.Key(CspSearchStage.Features, 0, 0, p)), id);
        using var cancel = token.Token.Register(context.CancelExecution);
        var headWatch = state.Clock.StartTimer();
        try
        {
            var head = HeadTrainers.Create(context, p.Head, LabelColumnName, FeaturesColumnName).Fit(trainFeatures);
            state.Costs.RecordHead(p.Head, headWatch.Elapsed.TotalSeconds, state.Data.TrainRows, dimensions);
            var metrics = context.MulticlassClassification.Evaluate(head.Transform(validationFeatures), LabelColumnName);
            var trial = state.Record(new CspTrialResult
            {
                TrialId = id, Stage = CspSearchStage.Features, Parameters = p, Status = CspTrialStatus.Completed,
                Metric = state.MetricOf(metrics), MicroAccuracy = metrics.MicroAccuracy, MacroAccuracy = metrics.MacroAccuracy, LogLoss = metrics.LogLoss,
                Duration = watch.Elapsed, PeakMemoryBytes = memory.Peak,
            });
            Offer(scores, combo, trial, new TransformerChain<ITransformer>(featurizer, head), featurizer);
            return true;
        }
        catch (Exception e)
        {
            bool stopped = SearchState.IsCancellation(e) && token.IsCancellationRequested;
            bool stageOver = state.Clock.Caller.IsCancellationRequested || state.Clock.SecondsLeftUntil(stageEnd) <= 0.5;
            // A head stopped at its time box has cost at least that: later architectures skip it unless there is twice the time.
            if (stopped) state.Costs.RecordHead(p.Head, 2 * headWatch.Elapsed.TotalSeconds, state.Data.TrainRows, dimensions);
            state.Record(new CspTrialResult
            {
                TrialId = id, Stage = CspSearchStage.Features, Parameters = p, Status = stopped ? CspTrialStatus.Cancelled : CspTrialStatus.Failed,
                Duration = watch.Elapsed, PeakMemoryBytes = memory.Peak,
                Error = !stopped ? $"{p.Head} failed: {SearchState.Describe(e)}"
                    : stageOver ? "stopped by the time budget or cancellation"
                    : FormattableString.Invariant($"stopped after half of the stage's {left:F0} s left"),
            });
            return !(stopped && stageOver);
        }
    }

    private void Offer(Dictionary<(string, int), double> scores, (string Architecture, int Size) combo, CspTrialResult trial, ITransformer? model, params IDisposable[] parts)
    {
        Rank(scores, combo, trial);
        state.OfferBest(trial, model, parts);
    }

    private void Rank(Dictionary<(string, int), double> scores, (string Architecture, int Size) combo, CspTrialResult trial)
    {
        double score = state.Best.ScoreOf(trial);
        if (!scores.TryGetValue(combo, out var known) || score > known) scores[combo] = score;
    }

    /// <summary>
    /// Runs the featurizer over every row once, on this thread, checking the token between rows, into an in-memory view of the
    /// features and the label (a key with the label's names), so the heads read cached vectors and nothing runs on after a cancel.
    /// </summary>
    public IDataView Materialize(CspFeaturizerTransformer featurizer, IDataView data, CancellationToken token)
    {
        var scored = featurizer.Transform(data);
        var featuresColumn = scored.Schema[FeaturesColumnName];
        var labelColumn = scored.Schema[state.Data.LabelColumnName];
        var rows = new List<FeatureRow>();
        using (var cursor = scored.GetRowCursor([featuresColumn, labelColumn]))
        {
            var getFeatures = cursor.GetGetter<VBuffer<float>>(featuresColumn);
            var getLabel = cursor.GetGetter<uint>(labelColumn);
            VBuffer<float> features = default;
            uint label = 0;
            while (cursor.MoveNext())
            {
                token.ThrowIfCancellationRequested();
                getFeatures(ref features);
                getLabel(ref label);
                if (label == 0) continue; // a missing label: no head learns from it
                // LoadFromEnumerable takes a key column's values 0-based (the view's raw keys are 1-based, 0 = missing).
                rows.Add(new FeatureRow { Features = features.DenseValues().ToArray(), Label = label - 1 });
            }
        }
        var definition = SchemaDefinition.Create(typeof(FeatureRow));
        var featuresDefinition = definition[nameof(FeatureRow.Features)]; // looked up by column name: take both before renaming
        var labelDefinition = definition[nameof(FeatureRow.Label)];
        featuresDefinition.ColumnName = FeaturesColumnName;
        featuresDefinition.ColumnType = new VectorDataViewType(NumberDataViewType.Single, featuresColumn.Type.GetValueCount());
        labelDefinition.ColumnName = LabelColumnName;
        labelDefinition.ColumnType = labelColumn.Type;
        if (KeyValues.From(labelColumn) is { } names)
            labelDefinition.AddAnnotation(AnnotationUtils.Kinds.KeyValues,
                new VBuffer<ReadOnlyMemory<char>>(names.Length, names.Select(n => n.AsMemory()).ToArray()),
                new VectorDataViewType(TextDataViewType.Instance, names.Length));
        return state.ML.Data.LoadFromEnumerable(rows, definition);
    }

    private sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];

        /// <summary>The class index, 0-based.</summary>
        public uint Label { get; set; }
    }
}
