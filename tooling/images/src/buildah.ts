import { run } from "./exec.js";

/**
 * buildah with its own storage in a temp dir (vfs driver, so it needs no overlay mounts, and
 * chroot isolation, so it needs no runtime): nothing touches the host's containers storage.
 */
export class Buildah {
  constructor(
    private readonly root: string,
    private readonly runroot: string,
  ) {}

  private async buildah(...args: string[]): Promise<string> {
    const { stdout } = await run(
      "buildah",
      ["--root", this.root, "--runroot", this.runroot, "--storage-driver", "vfs", ...args],
      { env: { ...process.env, BUILDAH_ISOLATION: "chroot" } },
    );
    return stdout.trim();
  }

  /** A working container from an image (`scratch` for none); returns its name. */
  from(image: string, name: string): Promise<string> {
    return this.buildah("from", "--isolation", "chroot", "--pull=never", "--name", name, image);
  }

  /** The container's root filesystem as a host directory (vfs: a plain directory, root only). */
  mount(container: string): Promise<string> {
    return this.buildah("mount", container);
  }

  async config(container: string, options: string[]): Promise<void> {
    await this.buildah("config", ...options, container);
  }

  /** Commits the container's changes as one new layer on top of its image. */
  async commit(container: string, image: string): Promise<void> {
    await this.buildah("commit", "--quiet", "--format", "oci", "--rm", container, image);
  }

  /** Writes the image as an OCI archive (a tar of an OCI image layout) tagged `ref`. */
  async pushOciArchive(image: string, archive: string, ref: string): Promise<void> {
    await this.buildah("push", "--quiet", image, `oci-archive:${archive}:${ref}`);
  }
}
