namespace MLNet.CSP.Pipelines.Datasets;

/// <summary>One image of a detection dataset as the loaders give it: the file, a class index per box, and x0, y0, x1, y1 per box in pixels.</summary>
public sealed class DetectionDatasetRow
{
    /// <summary>Full path of the image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>One key per box (1-based: key k is class name k - 1), as <c>CspObjectDetection</c>'s label column takes them.</summary>
    public uint[] Label { get; set; } = [];

    /// <summary>x0, y0, x1, y1 per box, in the image's pixels.</summary>
    public float[] BoundingBoxes { get; set; } = [];
}
