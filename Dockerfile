# relayd as a container sidecar next to k6 (README, "Container sidecar").
#   docker build -t relayd .
#   docker run -e K6_CLOUD_TOKEN -e RELAYD_ACCEPT_TOKEN=<runner token> -p 6580:6580 relayd
# Inside the container relayd listens on 0.0.0.0, so it refuses to start unless runners must present
# a token (RELAYD_ACCEPT_TOKEN) or RELAYD_INSECURE_ALLOW_ANY_RUNNER=true says otherwise.

# Build: compile the TypeScript.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Run: production dependencies and the compiled code only, as the unprivileged `node` user.
FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: `prepare` would build, and the native modules ship prebuilt binaries.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY config ./config
COPY --from=build /app/dist/src ./dist/src
RUN mkdir -p /var/lib/relayd && chown node:node /var/lib/relayd
# A 5 s shutdown grace plus 3 s for requests in flight fits in docker stop's default 10 s.
ENV RELAYD_LISTEN=0.0.0.0:6580 RELAYD_DATA_DIR=/var/lib/relayd RELAYD_SHUTDOWN_GRACE=5s
# Two glibc malloc arenas instead of 8 per core: draining a backlog peaked 50-110 MiB lower at no
# measured cost in drain CPU (bench/README.md, "Memory while draining").
ENV MALLOC_ARENA_MAX=2
USER node
VOLUME /var/lib/relayd
EXPOSE 6580
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s CMD ["node", "bin/relayd.js", "health"]
# relayd handles SIGTERM itself (docker stop): it refuses new data, forwards its backlog for up to
# the shutdown grace, and exits 0 with the rest on the volume.
CMD ["node", "bin/relayd.js", "start"]
