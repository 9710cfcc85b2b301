namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// The training rows in memory (<see cref="CspCacheMode.Always"/>): each image decoded once and kept as its layout stores it,
/// with its target. Batches are cut from here every epoch.
/// </summary>
internal sealed class CachedTrainingImages<TTarget, TBatch> : ImageTrainingSet<TTarget, TBatch>
{
    private readonly List<Tensor> images = [];
    private bool ownsImages = true;

    private CachedTrainingImages(TrainingImageLayout<TTarget, TBatch> layout) : base(layout, [])
    {
    }

    /// <summary>Bytes the cached pixels take.</summary>
    public long Bytes => images.Sum(t => t.numel());

    /// <summary>Reads every row; a bad target or an undecodable image fails naming its row.</summary>
    public static CachedTrainingImages<TTarget, TBatch> Read(IDataView data, string imageColumn, ImageColumnKind kind,
        TrainingImageLayout<TTarget, TBatch> layout, CancellationToken cancellation)
    {
        var result = new CachedTrainingImages<TTarget, TBatch>(layout);
        try
        {
            TrainingRows.Read(data, imageColumn, kind, layout, cancellation, (_, readImage, readTarget) => TrainingRows.WithImage(readImage, decoded =>
            {
                var target = readTarget(decoded.Width, decoded.Height);
                result.images.Add(layout.Store(decoded));
                result.TargetList.Add(target);
            }));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override ImageTrainingSet<TTarget, TBatch> Subset(IEnumerable<int> indices)
    {
        var subset = new CachedTrainingImages<TTarget, TBatch>(Layout) { ownsImages = false };
        foreach (int i in indices)
        {
            subset.images.Add(images[i]);
            subset.TargetList.Add(TargetList[i]);
        }
        return subset;
    }

    private protected override IEnumerable<IReadOnlyList<(int Row, Tensor Pixels)>> Batches(int[] order, int batchSize, bool dropLast)
    {
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int count = Math.Min(batchSize, order.Length - start);
            if (count < batchSize && dropLast) yield break;
            yield return [.. order.Skip(start).Take(count).Select(i => (i, images[i].alias()))];
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (ownsImages) foreach (var t in images) t.Dispose();
        images.Clear();
    }
}
