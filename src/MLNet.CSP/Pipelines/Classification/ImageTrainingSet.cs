using MLNet.CSP.Pipelines.Training;

namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// Training rows as images resized so their shorter side is the evaluation resize size (bytes, 3 x H x W) with their 0-based
/// classes. How a row's pixels are had is the subclass's (kept in memory, or decoded again each epoch); the epoch's order,
/// the augmentation and the batches are the same code for both, so a seed gives the same batches either way.
/// </summary>
internal abstract class ImageTrainingSet : ITrainingSource, IDisposable
{
    private protected ImageTrainingSet(ImagePreprocessing preprocessing, List<long> labels)
    {
        Preprocessing = preprocessing;
        LabelList = labels;
    }

    public ImagePreprocessing Preprocessing { get; }

    private protected List<long> LabelList { get; }

    public IReadOnlyList<long> Labels => LabelList;

    public int Count => LabelList.Count;

    /// <inheritdoc />
    public string Fingerprint => $"{Preprocessing.ImageSize}|{string.Join(",", LabelList.Take(64))}";

    /// <inheritdoc />
    public IEnumerable<(Tensor Images, Tensor Targets)> TrainingBatches(int batchSize, CspAugmentation augmentation, double minCropScale, Random random)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        random.Shuffle(order);
        foreach (var batch in Batches(order, batchSize, dropLast: true))
            yield return Assemble(batch, augmentation, minCropScale, random);
    }

    /// <inheritdoc />
    public IEnumerable<(Tensor Images, Tensor Targets)> EvaluationBatches(int batchSize)
    {
        foreach (var batch in Batches(Enumerable.Range(0, Count).ToArray(), batchSize, dropLast: false))
            yield return Assemble(batch, CspAugmentation.None, 1, null);
    }

    /// <summary>A split of these rows (for a held-out validation share).</summary>
    public abstract ImageTrainingSet Subset(IEnumerable<int> indices);

    /// <summary>
    /// The rows of <paramref name="order"/> in that order, <paramref name="batchSize"/> at a time, each with its pixels (owned by
    /// the caller). Rows that cannot be read may be left out where the set allows it; a short last batch is dropped when asked.
    /// </summary>
    private protected abstract IEnumerable<IReadOnlyList<(int Row, Tensor Pixels)>> Batches(int[] order, int batchSize, bool dropLast);

    /// <summary>A batch for the network: the augmentation (drawn from <paramref name="random"/> in row order) or the center crop, normalised.</summary>
    private (Tensor Images, Tensor Targets) Assemble(IReadOnlyList<(int Row, Tensor Pixels)> batch, CspAugmentation augmentation, double minCropScale, Random? random)
    {
        try
        {
            using var scope = torch.NewDisposeScope();
            var views = new List<Tensor>(batch.Count);
            foreach (var (_, pixels) in batch)
            {
                if (augmentation == CspAugmentation.None || random is null)
                {
                    views.Add(ImageTensors.CenterCrop(pixels.unsqueeze(0), Preprocessing.ImageSize).squeeze(0));
                    continue;
                }
                var image = pixels.to_type(ScalarType.Float32).div_(255f);
                var cropped = augmentation == CspAugmentation.RandomResizedCropAndFlip
                    ? TrainingAugmentation.RandomResizedCrop(image, Preprocessing.ImageSize, minCropScale, Preprocessing.Interpolation, random)
                    : ImageTensors.CenterCrop(image.unsqueeze(0), Preprocessing.ImageSize).squeeze(0);
                views.Add(augmentation == CspAugmentation.RandomShift
                    ? TrainingAugmentation.RandomShift(cropped, random)
                    : TrainingAugmentation.RandomHorizontalFlip(cropped, random));
            }
            var stacked = torch.stack(views);
            if (stacked.dtype == ScalarType.Byte) stacked = stacked.to_type(ScalarType.Float32).div_(255f);
            var images = ImageTensors.Normalize(stacked, Preprocessing);
            var targets = torch.tensor(batch.Select(b => LabelList[b.Row]).ToArray());
            return (images.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
        }
        finally
        {
            foreach (var (_, pixels) in batch) pixels.Dispose();
        }
    }

    /// <summary>An image as the set keeps it: RGB resized so its shorter side is the resize size, as bytes [3, H, W].</summary>
    private protected static Tensor ToStoredPixels(MLImage image, ImagePreprocessing preprocessing)
    {
        using var scope = torch.NewDisposeScope();
        var rgb = ImageTensors.ToRgbTensor(image).unsqueeze(0);
        var resized = ImageTensors.ResizeShorterSide(rgb, preprocessing.ResizeSize, preprocessing.Interpolation);
        return resized.squeeze(0).mul(255f).round_().clamp_(0, 255).to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <summary>Releases what the set holds.</summary>
    public abstract void Dispose();
}
