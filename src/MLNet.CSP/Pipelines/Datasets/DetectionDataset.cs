using MLNet.CSP.Pipelines.Internal;

namespace MLNet.CSP.Pipelines.Datasets;

/// <summary>
/// A detection dataset read from its files: the images (each with its boxes; images without boxes are negatives) and the
/// class names. <see cref="ToDataView(MLContext, string)"/> gives the columns <c>CspObjectDetection</c> takes.
/// </summary>
public sealed class DetectionDataset
{
    internal DetectionDataset(IReadOnlyList<DetectionDatasetRow> rows, IReadOnlyList<string> classNames, string source)
    {
        Rows = rows;
        ClassNames = classNames;
        Source = source;
    }

    /// <summary>The images in a fixed order (sorted by path), with their boxes.</summary>
    public IReadOnlyList<DetectionDatasetRow> Rows { get; }

    /// <summary>The class names; key k of a <see cref="DetectionDatasetRow.Label"/> is <c>ClassNames[k - 1]</c>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The file the dataset was read from.</summary>
    public string Source { get; }

    /// <summary>Number of boxes over all images.</summary>
    public int BoxCount => Rows.Sum(r => r.Label.Length);

    /// <summary>
    /// The dataset as an <see cref="IDataView"/>: <c>ImagePath</c> (text), <c>Label</c> (a vector of keys over the class
    /// names, with the names as its key values), <c>BoundingBoxes</c> (x0, y0, x1, y1 per box, in pixels) and <c>Image</c>
    /// (the file, loaded when a cursor reads it, as <c>LoadImages</c> does).
    /// </summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="imageColumnName">Name of the image column (the trainer's default is <c>Image</c>).</param>
    public IDataView ToDataView(MLContext mlContext, string imageColumnName = CspDefaults.ImageColumnName)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return ToDataView(mlContext.Data, imageColumnName);
    }

    /// <summary>Reads a dataset in the Ultralytics YOLO layout (see <c>mlContext.Data.LoadFromYoloDataset</c>).</summary>
    /// <param name="path">The dataset's <c>data.yaml</c>, or the folder that holds it.</param>
    /// <param name="split">Which entry of the YAML file: <c>train</c>, <c>val</c> or <c>test</c>.</param>
    public static DetectionDataset ReadYolo(string path, string split = "train") => YoloDatasetReader.Read(path, split);

    /// <summary>Reads a COCO instances file (see <c>mlContext.Data.LoadFromCocoDetection</c>).</summary>
    /// <param name="annotationsPath">The JSON file (<c>instances_train2017.json</c> and the like).</param>
    /// <param name="imageFolder">The folder the images' <c>file_name</c> values are relative to.</param>
    public static DetectionDataset ReadCoco(string annotationsPath, string imageFolder) => CocoDetectionReader.Read(annotationsPath, imageFolder);

    internal IDataView ToDataView(DataOperationsCatalog data, string imageColumnName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imageColumnName);
        var definition = SchemaDefinition.Create(typeof(DetectionDatasetRow));
        var label = definition[nameof(DetectionDatasetRow.Label)];
        label.ColumnType = new VectorDataViewType(new KeyDataViewType(typeof(uint), Math.Max(1, ClassNames.Count)));
        var names = new VBuffer<ReadOnlyMemory<char>>(ClassNames.Count, ClassNames.Select(n => n.AsMemory()).ToArray());
        label.AddAnnotation(AnnotationUtils.Kinds.KeyValues, names, new VectorDataViewType(TextDataViewType.Instance, ClassNames.Count));
        var files = data.LoadFromEnumerable(Rows, definition);
        return MLNetInternals.LoadImages(MLNetInternals.GetEnvironment(data), files, imageColumnName, nameof(DetectionDatasetRow.ImagePath));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Rows.Count} images, {BoxCount} boxes, {ClassNames.Count} classes from {Source}";
}
