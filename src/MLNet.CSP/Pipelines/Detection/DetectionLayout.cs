namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// Detection's training images: each letterboxed to the square input size (bytes, 3 x S x S) with its boxes mapped to input
/// pixels; boxes are checked (finite, not inverted, inside the image) and clipped, a bad label or box fails naming its row.
/// Batches are mirrored left-right with their boxes (half the images, when flips are on) and normalised. Images without boxes
/// are kept (negatives).
/// </summary>
internal sealed class DetectionLayout(string labelColumn, string boxColumn, int classes, int size, ImagePreprocessing normalisation, bool horizontalFlip)
    : TrainingImageLayout<IReadOnlyList<LabeledBox>, IReadOnlyList<IReadOnlyList<LabeledBox>>>
{
    /// <summary>How far (in original pixels) a box may reach outside its image before it is an error; it is clipped.</summary>
    private const float EdgeTolerance = 1f;

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

    /// <inheritdoc />
    public override (Tensor Images, IReadOnlyList<IReadOnlyList<LabeledBox>> Targets) Assemble(
        IReadOnlyList<(Tensor Pixels, IReadOnlyList<LabeledBox> Target)> rows, Random? random)
    {
        using var scope = torch.NewDisposeScope();
        var list = new List<Tensor>(rows.Count);
        var boxes = new List<IReadOnlyList<LabeledBox>>(rows.Count);
        foreach (var (pixels, target) in rows)
        {
            bool flip = random is not null && horizontalFlip && random.NextDouble() < 0.5;
            var image = pixels.to_type(ScalarType.Float32).div_(255f);
            list.Add(flip ? image.flip(2) : image);
            boxes.Add(flip ? [.. target.Select(b => b with { Box = new BoundingBox(size - b.Box.X1, b.Box.Y0, size - b.Box.X0, b.Box.Y1) })] : target);
        }
        var images = ImageTensors.Normalize(torch.stack(list), normalisation);
        return (images.MoveToOuterDisposeScope(), boxes);
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
