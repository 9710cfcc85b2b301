using MLNet.CSP.Pipelines.Training;

namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// The training rows in memory: each image decoded once, resized so its shorter side is the evaluation resize size,
/// and kept as bytes (3 x H x W), with its 0-based class. Batches are cut from here every epoch.
/// </summary>
internal sealed class TrainingImages : ITrainingSource, IDisposable
{
    private readonly List<Tensor> images = [];
    private readonly List<long> labels = [];

    private TrainingImages(ImagePreprocessing preprocessing) => Preprocessing = preprocessing;

    public ImagePreprocessing Preprocessing { get; }

    public int Count => images.Count;

    public IReadOnlyList<long> Labels => labels;

    /// <inheritdoc />
    public string Fingerprint => $"{Preprocessing.ImageSize}|{string.Join(",", labels.Take(64))}";

    /// <inheritdoc />
    public IEnumerable<(Tensor Images, Tensor Targets)> TrainingBatches(int batchSize, CspAugmentation augmentation, double minCropScale, Random random)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        random.Shuffle(order);
        for (int start = 0; start + batchSize <= order.Length; start += batchSize)
            yield return TrainingBatch(new ArraySegment<int>(order, start, batchSize), augmentation, minCropScale, random);
    }

    /// <inheritdoc />
    public IEnumerable<(Tensor Images, Tensor Targets)> EvaluationBatches(int batchSize)
    {
        for (int start = 0; start < Count; start += batchSize)
            yield return EvaluationBatch(Enumerable.Range(start, Math.Min(batchSize, Count - start)).ToArray());
    }

    /// <summary>Reads every row; a missing label or an undecodable image fails naming its row.</summary>
    public static TrainingImages Read(IDataView data, string imageColumn, ImageColumnKind kind, string labelColumn, int classes,
        ImagePreprocessing preprocessing, CancellationToken cancellation)
    {
        var result = new TrainingImages(preprocessing);
        try
        {
            var image = data.Schema[imageColumn];
            var label = data.Schema[labelColumn];
            using var cursor = data.GetRowCursor([image, label]);
            var readImage = ImageColumn.CreateReader(cursor, image, kind);
            var readLabel = cursor.GetGetter<uint>(label);
            uint key = 0;
            while (cursor.MoveNext())
            {
                cancellation.ThrowIfCancellationRequested();
                readLabel(ref key);
                if (key == 0 || key > classes)
                    throw new InvalidDataException($"The label in column '{labelColumn}' at row {cursor.Position} is missing or outside the {classes} known classes.");
                var (decoded, owns) = readImage();
                try
                {
                    using var scope = torch.NewDisposeScope();
                    var rgb = ImageTensors.ToRgbTensor(decoded).unsqueeze(0);
                    var resized = ImageTensors.ResizeShorterSide(rgb, preprocessing.ResizeSize, preprocessing.Interpolation);
                    result.images.Add(resized.squeeze(0).mul(255f).round_().clamp_(0, 255).to_type(ScalarType.Byte).MoveToOuterDisposeScope());
                }
                finally
                {
                    if (owns) decoded.Dispose();
                }
                result.labels.Add(key - 1);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>A split of these rows (shares the image tensors, which the original still owns).</summary>
    public TrainingImages Subset(IEnumerable<int> indices)
    {
        var subset = new TrainingImages(Preprocessing) { ownsImages = false };
        foreach (int i in indices)
        {
            subset.images.Add(images[i]);
            subset.labels.Add(labels[i]);
        }
        return subset;
    }

    private bool ownsImages = true;

    /// <summary>Evaluation batch: center crop, normalise.</summary>
    public (Tensor Images, Tensor Labels) EvaluationBatch(IReadOnlyList<int> indices)
    {
        using var scope = torch.NewDisposeScope();
        var crops = indices.Select(i => ImageTensors.CenterCrop(images[i].unsqueeze(0), Preprocessing.ImageSize).squeeze(0)).ToList();
        var batch = ImageTensors.Normalize(torch.stack(crops).to_type(ScalarType.Float32).div_(255f), Preprocessing);
        var targets = torch.tensor(indices.Select(i => labels[i]).ToArray());
        return (batch.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    /// <summary>Training batch with the chosen augmentation.</summary>
    public (Tensor Images, Tensor Labels) TrainingBatch(IReadOnlyList<int> indices, CspAugmentation augmentation, double minCropScale, Random random)
    {
        if (augmentation == CspAugmentation.None) return EvaluationBatch(indices);
        using var scope = torch.NewDisposeScope();
        var views = new List<Tensor>(indices.Count);
        foreach (int i in indices)
        {
            var image = images[i].to_type(ScalarType.Float32).div_(255f);
            var cropped = augmentation == CspAugmentation.RandomResizedCropAndFlip
                ? TrainingAugmentation.RandomResizedCrop(image, Preprocessing.ImageSize, minCropScale, Preprocessing.Interpolation, random)
                : ImageTensors.CenterCrop(image.unsqueeze(0), Preprocessing.ImageSize).squeeze(0);
            views.Add(augmentation == CspAugmentation.RandomShift
                ? TrainingAugmentation.RandomShift(cropped, random)
                : TrainingAugmentation.RandomHorizontalFlip(cropped, random));
        }
        var batch = ImageTensors.Normalize(torch.stack(views), Preprocessing);
        var targets = torch.tensor(indices.Select(i => labels[i]).ToArray());
        return (batch.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        if (ownsImages) foreach (var t in images) t.Dispose();
        images.Clear();
    }
}
