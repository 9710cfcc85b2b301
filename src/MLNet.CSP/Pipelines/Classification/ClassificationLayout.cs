namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// Classification's training images: each kept resized so its shorter side is the evaluation resize size (bytes, 3 x H x W),
/// with its 0-based class from a key-typed label; batches are augmented (random resized crop, flip, shift) or center-cropped,
/// then normalised, with the classes as an Int64 tensor.
/// </summary>
internal sealed class ClassificationLayout(string labelColumn, int classes, ImagePreprocessing preprocessing, CspAugmentation augmentation = CspAugmentation.None,
    double minCropScale = 1) : TrainingImageLayout<long, Tensor>
{
    public ImagePreprocessing Preprocessing => preprocessing;

    /// <inheritdoc />
    public override IEnumerable<DataViewSchema.Column> TargetColumns(DataViewSchema schema) => [schema[labelColumn]];

    /// <inheritdoc />
    public override Func<int, int, long> BindTargets(DataViewRowCursor cursor)
    {
        var readLabel = cursor.GetGetter<uint>(cursor.Schema[labelColumn]);
        uint key = 0;
        return (_, _) =>
        {
            readLabel(ref key);
            if (key == 0 || key > classes)
                throw new InvalidDataException($"The label in column '{labelColumn}' at row {cursor.Position} is missing or outside the {classes} known classes.");
            return key - 1;
        };
    }

    /// <summary>3 x R x R bytes for the shorter side R, times 4/3 for a 4:3 photo.</summary>
    public override long EstimatedBytesPerImage => 4L * preprocessing.ResizeSize * preprocessing.ResizeSize;

    /// <inheritdoc />
    public override Tensor Store(MLImage image)
    {
        using var scope = torch.NewDisposeScope();
        var rgb = ImageTensors.ToRgbTensor(image).unsqueeze(0);
        var resized = ImageTensors.ResizeShorterSide(rgb, preprocessing.ResizeSize, preprocessing.Interpolation);
        return resized.squeeze(0).mul(255f).round_().clamp_(0, 255).to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override (Tensor Images, Tensor Targets) Assemble(IReadOnlyList<(Tensor Pixels, long Target)> rows, Random? random)
    {
        using var scope = torch.NewDisposeScope();
        var views = new List<Tensor>(rows.Count);
        foreach (var (pixels, _) in rows)
        {
            if (augmentation == CspAugmentation.None || random is null)
            {
                views.Add(ImageTensors.CenterCrop(pixels.unsqueeze(0), preprocessing.ImageSize).squeeze(0));
                continue;
            }
            var image = pixels.to_type(ScalarType.Float32).div_(255f);
            var cropped = augmentation == CspAugmentation.RandomResizedCropAndFlip
                ? TrainingAugmentation.RandomResizedCrop(image, preprocessing.ImageSize, minCropScale, preprocessing.Interpolation, random)
                : ImageTensors.CenterCrop(image.unsqueeze(0), preprocessing.ImageSize).squeeze(0);
            views.Add(augmentation == CspAugmentation.RandomShift
                ? TrainingAugmentation.RandomShift(cropped, random)
                : TrainingAugmentation.RandomHorizontalFlip(cropped, random));
        }
        var stacked = torch.stack(views);
        if (stacked.dtype == ScalarType.Byte) stacked = stacked.to_type(ScalarType.Float32).div_(255f);
        var images = ImageTensors.Normalize(stacked, preprocessing);
        var targets = torch.tensor(rows.Select(r => r.Target).ToArray());
        return (images.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public override string Describe(long target) => target.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
