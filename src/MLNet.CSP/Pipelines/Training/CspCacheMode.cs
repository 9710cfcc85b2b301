namespace MLNet.CSP.Pipelines.Training;

/// <summary>Whether the trainer keeps the decoded training images in memory or reads them again every epoch.</summary>
public enum CspCacheMode
{
    /// <summary>Cache while the estimated cache fits <see cref="CspTrainingOptions.CacheMemoryBudgetBytes"/>, else stream.</summary>
    Auto,

    /// <summary>Decode every image once, before the first epoch, and keep it (resized) in memory: fastest epochs, memory grows with the data.</summary>
    Always,

    /// <summary>
    /// Decode every epoch on background workers from the files behind the image column (or the encoded bytes): memory stays flat
    /// in the number of images, each epoch pays the decoding.
    /// </summary>
    Never,
}
