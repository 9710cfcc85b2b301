namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// The training rows in memory (<see cref="CspCacheMode.Always"/>): each image decoded once, resized so its shorter side is the
/// evaluation resize size, and kept as bytes (3 x H x W), with its 0-based class. Batches are cut from here every epoch.
/// </summary>
internal sealed class TrainingImages : ImageTrainingSet
{
    private readonly List<Tensor> images = [];
    private bool ownsImages = true;

    private TrainingImages(ImagePreprocessing preprocessing) : base(preprocessing, [])
    {
    }

    /// <summary>Bytes the cached pixels take.</summary>
    public long Bytes => images.Sum(t => t.numel());

    /// <summary>Reads every row; a missing label or an undecodable image fails naming its row.</summary>
    public static TrainingImages Read(IDataView data, string imageColumn, ImageColumnKind kind, string labelColumn, int classes,
        ImagePreprocessing preprocessing, CancellationToken cancellation)
    {
        var result = new TrainingImages(preprocessing);
        try
        {
            TrainingRows.Read(data, imageColumn, kind, labelColumn, classes, cancellation, (_, readImage, label) =>
            {
                var (decoded, owns) = readImage();
                try
                {
                    result.images.Add(ToStoredPixels(decoded, preprocessing));
                }
                finally
                {
                    if (owns) decoded.Dispose();
                }
                result.LabelList.Add(label);
            });
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override ImageTrainingSet Subset(IEnumerable<int> indices)
    {
        var subset = new TrainingImages(Preprocessing) { ownsImages = false };
        foreach (int i in indices)
        {
            subset.images.Add(images[i]);
            subset.LabelList.Add(LabelList[i]);
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
