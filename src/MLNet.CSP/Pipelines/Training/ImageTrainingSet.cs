namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// Training rows as kept images with their targets. How a row's pixels are had is the subclass's (kept in memory, or decoded
/// again each epoch); the epoch's order and the batches are the same code for both, and the task's
/// <see cref="TrainingImageLayout{TTarget, TBatch}"/> makes the batches, so a seed gives the same batches either way.
/// </summary>
internal abstract class ImageTrainingSet<TTarget, TBatch> : ITrainingSource<TBatch>, IDisposable
{
    private protected ImageTrainingSet(TrainingImageLayout<TTarget, TBatch> layout, List<TTarget> targets)
    {
        Layout = layout;
        TargetList = targets;
    }

    /// <summary>How rows become batches; may be replaced by a layout that stores images the same way (another augmentation).</summary>
    public TrainingImageLayout<TTarget, TBatch> Layout { get; internal set; }

    private protected List<TTarget> TargetList { get; }

    /// <summary>Every row's target, in row order.</summary>
    public IReadOnlyList<TTarget> Targets => TargetList;

    public int Count => TargetList.Count;

    /// <inheritdoc />
    public string Fingerprint => $"{Count}|{string.Join(",", TargetList.Take(64).Select(Layout.Describe))}";

    /// <inheritdoc />
    public IEnumerable<(Tensor Images, TBatch Targets)> TrainingBatches(int batchSize, Random random)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        random.Shuffle(order);
        foreach (var batch in Batches(order, batchSize, dropLast: true))
            yield return Assemble(batch, random);
    }

    /// <inheritdoc />
    public IEnumerable<(Tensor Images, TBatch Targets)> EvaluationBatches(int batchSize)
    {
        foreach (var batch in Batches(Enumerable.Range(0, Count).ToArray(), batchSize, dropLast: false))
            yield return Assemble(batch, null);
    }

    /// <summary>A split of these rows (for a held-out validation share).</summary>
    public abstract ImageTrainingSet<TTarget, TBatch> Subset(IEnumerable<int> indices);

    /// <summary>
    /// The rows of <paramref name="order"/> in that order, <paramref name="batchSize"/> at a time, each with its pixels (owned by
    /// the caller). Rows that cannot be read may be left out where the set allows it; a short last batch is dropped when asked.
    /// </summary>
    private protected abstract IEnumerable<IReadOnlyList<(int Row, Tensor Pixels)>> Batches(int[] order, int batchSize, bool dropLast);

    private (Tensor Images, TBatch Targets) Assemble(IReadOnlyList<(int Row, Tensor Pixels)> batch, Random? random)
    {
        try
        {
            return Layout.Assemble([.. batch.Select(b => (b.Pixels, TargetList[b.Row]))], random);
        }
        finally
        {
            foreach (var (_, pixels) in batch) pixels.Dispose();
        }
    }

    /// <summary>Releases what the set holds.</summary>
    public abstract void Dispose();
}
