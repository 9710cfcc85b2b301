namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// Detection's training images: each letterboxed to the square input size (bytes, 3 x S x S) with its boxes mapped to input
/// pixels; boxes are checked (finite, not inverted, inside the image) and clipped, a bad label or box fails naming its row.
/// Training batches are augmented (<see cref="DetectionAugmentation"/>: mosaic while <see cref="MosaicActive"/>, scale and
/// translation, HSV jitter, flips, as the settings say) and normalised. Images without boxes are kept (negatives).
/// </summary>
internal sealed class DetectionLayout(string labelColumn, string boxColumn, int classes, int size, ImagePreprocessing normalisation,
    DetectionAugmentationSettings augmentation)
    : TrainingImageLayout<IReadOnlyList<LabeledBox>, IReadOnlyList<IReadOnlyList<LabeledBox>>>
{
    /// <summary>How far (in original pixels) a box may reach outside its image before it is an error; it is clipped.</summary>
    internal const float EdgeTolerance = 1f;

    /// <inheritdoc />
    public override IEnumerable<DataViewSchema.Column> TargetColumns(DataViewSchema schema) => [schema[labelColumn], schema[boxColumn]];

    /// <inheritdoc />
    public override Func<int, int, IReadOnlyList<LabeledBox>> BindTargets(DataViewRowCursor cursor)
    {
        var readLabels = cursor.GetGetter<VBuffer<uint>>(cursor.Schema[labelColumn]);
        var readBoxes = cursor.GetGetter<VBuffer<float>>(cursor.Schema[boxColumn]);
        VBuffer<uint> keys = default;
        VBuffer<float> coordinates = default;
        return (width, height) =>
        {
            readLabels(ref keys);
            readBoxes(ref coordinates);
            var labelValues = keys.DenseValues().ToArray();
            var boxValues = coordinates.DenseValues().ToArray();
            long row = cursor.Position;
            if (boxValues.Length != 4 * labelValues.Length)
                throw new InvalidDataException($"Row {row}: column '{boxColumn}' has {boxValues.Length} values for {labelValues.Length} labels in '{labelColumn}'; give x0, y0, x1, y1 for each label.");
            var placement = Letterbox.For(width, height, size);
            var objects = new List<LabeledBox>(labelValues.Length);
            for (int i = 0; i < labelValues.Length; i++)
            {
                uint key = labelValues[i];
                if (key == 0 || key > classes)
                    throw new InvalidDataException($"Row {row}: label {i} in column '{labelColumn}' is missing or outside the {classes} known classes.");
                var original = Check(boxValues.AsSpan(4 * i, 4), width, height, row, i);
                objects.Add(new LabeledBox(new BoundingBox(placement.ToInputX(original.X0), placement.ToInputY(original.Y0),
                    placement.ToInputX(original.X1), placement.ToInputY(original.Y1)), (int)key - 1));
            }
            return objects;
        };
    }

    /// <inheritdoc />
    public override long EstimatedBytesPerImage => 3L * size * size;

    /// <inheritdoc />
    public override Tensor Store(MLImage image)
    {
        using var scope = torch.NewDisposeScope();
        return Letterbox.Place(image, size).mul_(255f).round_().clamp_(0, 255).to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <summary>Whether training batches are built as mosaics now (see <see cref="BeginEpoch"/>).</summary>
    public bool MosaicActive { get; private set; }

    /// <summary>Sets what epoch <paramref name="epoch"/> (0-based) of <paramref name="epochs"/> builds: mosaics until the close-mosaic epochs.</summary>
    public void BeginEpoch(int epoch, int epochs) => MosaicActive = augmentation.MosaicIn(epoch, epochs);

    /// <inheritdoc />
    public override (Tensor Images, IReadOnlyList<IReadOnlyList<LabeledBox>> Targets) Assemble(
        IReadOnlyList<(Tensor Pixels, IReadOnlyList<LabeledBox> Target)> rows, Random? random)
    {
        using var scope = torch.NewDisposeScope();
        var plain = rows.Select(r => r.Pixels.to_type(ScalarType.Float32).div_(255f)).ToList();
        var list = new List<Tensor>(rows.Count);
        var boxes = new List<IReadOnlyList<LabeledBox>>(rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            if (random is null)
            {
                list.Add(plain[i]);
                boxes.Add(rows[i].Target);
                continue;
            }
            var (image, target) = Augment(plain, rows, i, random);
            list.Add(image);
            boxes.Add(target);
        }
        var images = ImageTensors.Normalize(torch.stack(list), normalisation);
        return (images.MoveToOuterDisposeScope(), boxes);
    }

    /// <summary>Training image <paramref name="i"/> of the batch, augmented; draws in a fixed order.</summary>
    private (Tensor Image, IReadOnlyList<LabeledBox> Boxes) Augment(List<Tensor> plain,
        IReadOnlyList<(Tensor Pixels, IReadOnlyList<LabeledBox> Target)> rows, int i, Random random)
    {
        var a = augmentation;
        Tensor image;
        IReadOnlyList<LabeledBox> target;
        if (MosaicActive && a.Mosaic > 0 && random.NextDouble() < a.Mosaic)
        {
            var four = new[] { i, random.Next(rows.Count), random.Next(rows.Count), random.Next(rows.Count) }.Select(k => (plain[k], rows[k].Target)).ToList();
            var (canvas, mosaicBoxes) = DetectionAugmentation.Mosaic(four, size, random);
            (image, target) = DetectionAugmentation.RandomAffine(canvas, mosaicBoxes, size, a.Scale, a.Translate, random);
        }
        else if (a.Scale > 0 || a.Translate > 0)
            (image, target) = DetectionAugmentation.RandomAffine(plain[i], rows[i].Target, size, a.Scale, a.Translate, random);
        else
            (image, target) = (plain[i].clone(), rows[i].Target); // the batch's other mosaics may still read plain[i]
        if (a.Hue > 0 || a.Saturation > 0 || a.Value > 0) DetectionAugmentation.HsvJitter(image, a.Hue, a.Saturation, a.Value, random);
        if (a.HorizontalFlip && random.NextDouble() < 0.5) (image, target) = DetectionAugmentation.Flip(image, target);
        return (image, target);
    }

    /// <inheritdoc />
    public override string Describe(IReadOnlyList<LabeledBox> target) =>
        string.Join(";", target.Select(b => FormattableString.Invariant($"{b.Label}:{b.Box.X0:0.#},{b.Box.Y0:0.#},{b.Box.X1:0.#},{b.Box.Y1:0.#}")));

    /// <summary>A box of an image, checked (finite, not inverted, inside the image up to <see cref="EdgeTolerance"/>) and clipped.</summary>
    private BoundingBox Check(ReadOnlySpan<float> v, int width, int height, long row, int index)
    {
        float x0 = v[0], y0 = v[1], x1 = v[2], y1 = v[3];
        string where = $"Row {row}: box {index} in column '{boxColumn}' ({x0}, {y0}, {x1}, {y1})";
        if (!float.IsFinite(x0) || !float.IsFinite(y0) || !float.IsFinite(x1) || !float.IsFinite(y1))
            throw new InvalidDataException($"{where} has a coordinate that is not finite.");
        if (x1 <= x0 || y1 <= y0)
            throw new InvalidDataException($"{where} is empty or inverted: boxes are x0, y0, x1, y1 with x1 > x0 and y1 > y0.");
        if (x0 < -EdgeTolerance || y0 < -EdgeTolerance || x1 > width + EdgeTolerance || y1 > height + EdgeTolerance)
            throw new InvalidDataException($"{where} lies outside the {width}x{height} image.");
        return new BoundingBox(Math.Max(0, x0), Math.Max(0, y0), Math.Min(width, x1), Math.Min(height, y1));
    }
}
