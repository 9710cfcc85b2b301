using Microsoft.ML.Transforms.Image;

namespace MLNet.CSP.Pipelines.Data;

/// <summary>What an image column holds.</summary>
internal enum ImageColumnKind
{
    /// <summary>Decoded images (<see cref="ImageDataViewType"/>, from <c>LoadImages</c>).</summary>
    Image,
    /// <summary>Encoded image bytes (a vector of <see cref="byte"/>, from <c>LoadRawImageBytes</c>).</summary>
    EncodedBytes,
}

/// <summary>Schema checks and row readers for the image column, shared by the featurizer and the trainer.</summary>
internal static class ImageColumn
{
    public const string ExpectedType = "Image or Vector<Byte> (encoded image bytes)";

    /// <summary>Checks a column of a data schema; throws ML.NET-style schema errors.</summary>
    public static ImageColumnKind Check(DataViewSchema schema, string columnName)
    {
        var column = schema.GetColumnOrNull(columnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find input column '{columnName}'");
        return KindOf(column.Type) ?? throw Mismatch(nameof(schema), columnName, column.Type.ToString() ?? column.Type.GetType().Name);
    }

    /// <summary>Checks a column of a schema shape (estimator side), with the same messages.</summary>
    public static ImageColumnKind Check(SchemaShape shape, string columnName)
    {
        if (!shape.TryFindColumn(columnName, out var column))
            throw new ArgumentOutOfRangeException(nameof(shape), $"Could not find input column '{columnName}'");
        if (column.ItemType is ImageDataViewType && column.Kind == SchemaShape.Column.VectorKind.Scalar) return ImageColumnKind.Image;
        if (column.ItemType == NumberDataViewType.Byte && column.Kind != SchemaShape.Column.VectorKind.Scalar) return ImageColumnKind.EncodedBytes;
        string item = column.ItemType?.ToString() ?? "unknown";
        string actual = column.Kind == SchemaShape.Column.VectorKind.Scalar ? item : $"Vector<{item}>";
        throw Mismatch(nameof(shape), columnName, actual);
    }

    private static ImageColumnKind? KindOf(DataViewType type) => type switch
    {
        ImageDataViewType => ImageColumnKind.Image,
        VectorDataViewType v when v.ItemType == NumberDataViewType.Byte => ImageColumnKind.EncodedBytes,
        _ => null,
    };

    private static ArgumentOutOfRangeException Mismatch(string parameter, string columnName, string actual) =>
        new(parameter, $"Schema mismatch for input column '{columnName}': expected {ExpectedType}, got {actual}");

    /// <summary>
    /// A reader for the current row's image. The returned image must be disposed by the caller when
    /// <c>OwnsImage</c> is true (decoded from bytes here); images from an upstream Image column belong upstream.
    /// Failures name the column and the row.
    /// </summary>
    public static Func<(MLImage Image, bool OwnsImage)> CreateReader(DataViewRow row, DataViewSchema.Column column, ImageColumnKind kind)
    {
        string name = column.Name;
        if (kind == ImageColumnKind.Image)
        {
            var getter = row.GetGetter<MLImage>(column);
            return () =>
            {
                MLImage image = null!;
                try
                {
                    getter(ref image);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw RowError(name, row.Position, "could not be loaded", e);
                }
                if (image is null || image.Width <= 0 || image.Height <= 0) throw RowError(name, row.Position, "is missing or could not be decoded", null);
                // LoadImages tags each image with its file; a JPEG or PNG cut short decodes there without an error.
                if (image.Tag is string file && EncodedImageFile.Problem(file) is { } problem)
                    throw new InvalidDataException($"The image in column '{name}' at row {row.Position} (file '{file}') is truncated or damaged: {problem}");
                return (image, false);
            };
        }
        var bytesGetter = row.GetGetter<VBuffer<byte>>(column);
        return () =>
        {
            VBuffer<byte> bytes = default;
            bytesGetter(ref bytes);
            var dense = bytes.DenseValues().ToArray();
            try
            {
                return (ImageTensors.Decode(dense), true);
            }
            catch (InvalidDataException e)
            {
                throw RowError(name, row.Position, "is not a decodable image", e);
            }
        };
    }

    private static InvalidDataException RowError(string column, long row, string what, Exception? inner) =>
        new($"The image in column '{column}' at row {row} {what}{(inner is null ? "." : ": " + inner.Message)}", inner);
}
