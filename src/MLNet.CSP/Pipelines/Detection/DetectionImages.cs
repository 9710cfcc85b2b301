namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// Detection training rows in memory: each image letterboxed to the input size (bytes, 3 x S x S) and its boxes in input
/// pixels. Images without boxes are kept (negatives).
/// </summary>
internal sealed class DetectionImages : IDisposable
{
    /// <summary>How far (in original pixels) a box may reach outside its image before it is an error; it is clipped.</summary>
    private const float EdgeTolerance = 1f;

    private readonly List<Tensor> images = [];
    private readonly List<IReadOnlyList<LabeledBox>> targets = [];

    private DetectionImages(int size) => Size = size;

    /// <summary>Input size.</summary>
    public int Size { get; }

    /// <summary>Rows read.</summary>
    public int Count => images.Count;

    /// <summary>Boxes of every image, input pixels.</summary>
    public IReadOnlyList<IReadOnlyList<LabeledBox>> Targets => targets;

    /// <summary>A batch: images [N, 3, S, S] in [0, 1] (mirrored where <paramref name="flip"/> says) and their boxes.</summary>
    public (Tensor Images, IReadOnlyList<IReadOnlyList<LabeledBox>> Targets) Batch(IReadOnlyList<int> rows, IReadOnlyList<bool> flip)
    {
        using var scope = torch.NewDisposeScope();
        var list = new List<Tensor>(rows.Count);
        var boxes = new List<IReadOnlyList<LabeledBox>>(rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var image = images[rows[i]].to_type(ScalarType.Float32).div_(255f);
            list.Add(flip[i] ? image.flip(2) : image);
            boxes.Add(flip[i] ? [.. targets[rows[i]].Select(b => b with { Box = new BoundingBox(Size - b.Box.X1, b.Box.Y0, Size - b.Box.X0, b.Box.Y1) })] : targets[rows[i]]);
        }
        return (torch.stack(list).MoveToOuterDisposeScope(), boxes);
    }

    /// <summary>Reads every row; a bad label, box or image fails naming its column and row.</summary>
    public static DetectionImages Read(IDataView data, string imageColumn, ImageColumnKind kind, string labelColumn, string boxColumn,
        int classes, int size, CancellationToken cancellation)
    {
        var result = new DetectionImages(size);
        try
        {
            var image = data.Schema[imageColumn];
            var label = data.Schema[labelColumn];
            var box = data.Schema[boxColumn];
            using var cursor = data.GetRowCursor([image, label, box]);
            var readImage = ImageColumn.CreateReader(cursor, image, kind);
            var readLabels = cursor.GetGetter<VBuffer<uint>>(label);
            var readBoxes = cursor.GetGetter<VBuffer<float>>(box);
            VBuffer<uint> keys = default;
            VBuffer<float> coordinates = default;
            while (cursor.MoveNext())
            {
                cancellation.ThrowIfCancellationRequested();
                readLabels(ref keys);
                readBoxes(ref coordinates);
                var labelValues = keys.DenseValues().ToArray();
                var boxValues = coordinates.DenseValues().ToArray();
                long row = cursor.Position;
                if (boxValues.Length != 4 * labelValues.Length)
                    throw new InvalidDataException($"Row {row}: column '{boxColumn}' has {boxValues.Length} values for {labelValues.Length} labels in '{labelColumn}'; give x0, y0, x1, y1 for each label.");
                var (decoded, owns) = readImage();
                try
                {
                    var placement = Letterbox.For(decoded.Width, decoded.Height, size);
                    var objects = new List<LabeledBox>(labelValues.Length);
                    for (int i = 0; i < labelValues.Length; i++)
                    {
                        uint key = labelValues[i];
                        if (key == 0 || key > classes)
                            throw new InvalidDataException($"Row {row}: label {i} in column '{labelColumn}' is missing or outside the {classes} known classes.");
                        var original = Check(boxValues.AsSpan(4 * i, 4), decoded.Width, decoded.Height, row, i, boxColumn);
                        objects.Add(new LabeledBox(new BoundingBox(placement.ToInputX(original.X0), placement.ToInputY(original.Y0),
                            placement.ToInputX(original.X1), placement.ToInputY(original.Y1)), (int)key - 1));
                    }
                    using var scope = torch.NewDisposeScope();
                    var bytes = Letterbox.Place(decoded, size).mul_(255f).round_().clamp_(0, 255).to_type(ScalarType.Byte);
                    result.images.Add(bytes.MoveToOuterDisposeScope());
                    result.targets.Add(objects);
                }
                finally
                {
                    if (owns) decoded.Dispose();
                }
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>A box of an image, checked (finite, not inverted, inside the image up to <see cref="EdgeTolerance"/>) and clipped.</summary>
    private static BoundingBox Check(ReadOnlySpan<float> v, int width, int height, long row, int index, string column)
    {
        float x0 = v[0], y0 = v[1], x1 = v[2], y1 = v[3];
        string where = $"Row {row}: box {index} in column '{column}' ({x0}, {y0}, {x1}, {y1})";
        if (!float.IsFinite(x0) || !float.IsFinite(y0) || !float.IsFinite(x1) || !float.IsFinite(y1))
            throw new InvalidDataException($"{where} has a coordinate that is not finite.");
        if (x1 <= x0 || y1 <= y0)
            throw new InvalidDataException($"{where} is empty or inverted: boxes are x0, y0, x1, y1 with x1 > x0 and y1 > y0.");
        if (x0 < -EdgeTolerance || y0 < -EdgeTolerance || x1 > width + EdgeTolerance || y1 > height + EdgeTolerance)
            throw new InvalidDataException($"{where} lies outside the {width}x{height} image.");
        return new BoundingBox(Math.Max(0, x0), Math.Max(0, y0), Math.Min(width, x1), Math.Min(height, y1));
    }

    public void Dispose()
    {
        foreach (var image in images) image.Dispose();
        images.Clear();
    }
}
