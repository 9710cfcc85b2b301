using MLNet.CSP.Pipelines;
using MLNet.CSP.Pipelines.Datasets;

namespace Microsoft.ML;

/// <summary>MLNet.CSP data loaders on <c>mlContext.Data</c>: detection datasets in the layouts users have them.</summary>
public static class CspDataCatalog
{
    /// <summary>
    /// Loads a detection dataset in the Ultralytics YOLO layout: <c>data.yaml</c> (<c>path</c>, <c>train</c>, <c>val</c>,
    /// <c>test</c>, <c>names</c>), images in folders or listed in text files, labels in <c>labels/*.txt</c> as
    /// <c>class cx cy w h</c> normalised to 0..1 (polygons are taken as their bounding boxes). An image without a label file
    /// is a negative; a bad line fails naming its file and line. The view has the columns <c>CspObjectDetection</c> takes:
    /// <c>Label</c> (keys over the class names), <c>BoundingBoxes</c> (x0, y0, x1, y1 in pixels), <c>Image</c>, and <c>ImagePath</c>.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="path">The dataset's <c>data.yaml</c>, or the folder that holds it.</param>
    /// <param name="split">Which entry of the YAML file to load: <c>train</c>, <c>val</c> or <c>test</c>.</param>
    /// <param name="imageColumnName">Name of the image column.</param>
    public static IDataView LoadFromYoloDataset(this DataOperationsCatalog catalog, string path, string split = "train",
        string imageColumnName = CspDefaults.ImageColumnName)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return DetectionDataset.ReadYolo(path, split).ToDataView(catalog, imageColumnName);
    }

    /// <summary>
    /// Loads a detection dataset from a COCO instances file: <c>bbox</c> (x, y, width, height in pixels) per annotation,
    /// category ids mapped to keys in id order and named by the categories; crowd annotations are left out; an image without
    /// annotations is a negative; a bad entry fails naming the file, the element and its id. The view has the columns
    /// <c>CspObjectDetection</c> takes: <c>Label</c>, <c>BoundingBoxes</c> (x0, y0, x1, y1 in pixels), <c>Image</c>, <c>ImagePath</c>.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="annotationsPath">The JSON file.</param>
    /// <param name="imageFolder">The folder the images' <c>file_name</c> values are relative to.</param>
    /// <param name="imageColumnName">Name of the image column.</param>
    public static IDataView LoadFromCocoDetection(this DataOperationsCatalog catalog, string annotationsPath, string imageFolder,
        string imageColumnName = CspDefaults.ImageColumnName)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return DetectionDataset.ReadCoco(annotationsPath, imageFolder).ToDataView(catalog, imageColumnName);
    }
}
