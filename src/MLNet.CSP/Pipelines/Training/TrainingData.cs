namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// A fit's training and validation sets, read as the options say: cached or streamed (<see cref="CspTrainingOptions.CacheMode"/>,
/// one memory budget for both), validation from <see cref="CspTrainingOptions.ValidationSet"/> or a seeded
/// <see cref="CspTrainingOptions.ValidationFraction"/> of the training rows.
/// </summary>
internal sealed class TrainingData<TTarget, TBatch> : IDisposable
{
    private readonly List<IDisposable> owned = [];

    private TrainingData()
    {
    }

    /// <summary>The rows trained on.</summary>
    public ImageTrainingSet<TTarget, TBatch> Train { get; private set; } = null!;

    /// <summary>The rows scored after each epoch, or null.</summary>
    public ImageTrainingSet<TTarget, TBatch>? Validation { get; private set; }

    public static TrainingData<TTarget, TBatch> Read(IHost host, CspTrainingOptions options, IDataView input, ImageColumnKind kind,
        TrainingImageLayout<TTarget, TBatch> layout, int seed)
    {
        var result = new TrainingData<TTarget, TBatch>();
        try
        {
            long budget = TrainingSetReader.Budget(options);
            var all = TrainingSetReader.Read(host, options, input, kind, layout, "training", ref budget);
            result.owned.Add(all);
            if (all.Count == 0) throw new InvalidOperationException("The training data has no rows.");
            result.Train = all;
            if (options.ValidationSet is not null)
            {
                var validationKind = ImageColumn.Check(options.ValidationSet.Schema, options.ImageColumnName);
                result.Validation = TrainingSetReader.Read(host, options, options.ValidationSet, validationKind, layout, "validation", ref budget);
                result.owned.Add(result.Validation);
            }
            else if (options.ValidationFraction > 0)
            {
                var order = Enumerable.Range(0, all.Count).ToArray();
                new Random(seed).Shuffle(order);
                int held = (int)Math.Round(all.Count * options.ValidationFraction);
                if (held < 1 || held >= all.Count)
                    throw new ArgumentException($"A validation fraction of {options.ValidationFraction} leaves no rows for one side of {all.Count} rows.");
                result.Validation = all.Subset(order.Take(held));
                result.Train = all.Subset(order.Skip(held));
                result.owned.Add(result.Validation);
                result.owned.Add(result.Train);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // Subsets first: they borrow the full set's images.
        for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        owned.Clear();
    }
}
